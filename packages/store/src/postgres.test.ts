import { describeWithPostgres, factStoreContract } from '@callpermit/testing';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type SqlStore } from './index.js';
import { sqlStoreSuite } from './test/sqlStoreSuite.js';

describeWithPostgres('PostgreSQL', (newDatabase) => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await openStore({ databaseUrl: await newDatabase() });
  });
  afterAll(async () => {
    await store?.close();
  });
  factStoreContract(
    'PostgreSQL',
    async () => store,
    async () => {},
  );
  sqlStoreSuite('PostgreSQL', () => store);
});
