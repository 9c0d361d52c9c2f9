import { factStoreContract } from '@callpermit/testing';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type SqlStore } from './index.js';
import { sqlStoreSuite } from './test/sqlStoreSuite.js';

// One embedded database for the file (start-up takes seconds); tests keep apart by business id.
let store: SqlStore;
beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
});
afterAll(async () => {
  await store?.close();
});

factStoreContract(
  'PGlite',
  async () => store,
  async () => {},
);
sqlStoreSuite('PGlite', () => store);
