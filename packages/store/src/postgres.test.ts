import { factStoreContract } from '@callpermit/testing';
import { openStore } from './index.js';
import { describeWithPostgres } from './test/postgres.js';

describeWithPostgres('PostgreSQL', (newDatabase) => {
  factStoreContract('PostgreSQL', async () => openStore({ databaseUrl: await newDatabase() }));
});
