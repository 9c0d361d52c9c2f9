// A transaction's statements run in the order sent, and a savepoint (a nested `transaction`) is one step of that
// order: a statement sent beside it (a replay's inbox lines beside its commit) is neither undone by its rollback
// nor rolled back in its place.
import { describeWithPostgres } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { openSqlClient, type SqlClient, type StoreOptions } from './index.js';

function savepointOrder(open: () => Promise<SqlClient>) {
  it('a statement sent while a savepoint is open survives its rollback, and the savepoint undoes only its own', async () => {
    const sql = await open();
    try {
      await sql.query('create table if not exists ordered_kept (n int)');
      await sql.query('delete from ordered_kept');
      await sql.transaction(async (tx) => {
        const inner = tx
          .transaction(async (nested) => {
            await nested.query('insert into ordered_kept values (1)');
            // Give the outer statement every chance to be sent while the savepoint is open.
            await new Promise((resolve) => setTimeout(resolve, 20));
            await nested.query('insert into ordered_kept values (2)');
            throw new Error('the nested unit fails');
          })
          .catch((error: Error) => error.message);
        const beside = tx.query('insert into ordered_kept values (3)');
        expect(await inner).toBe('the nested unit fails');
        await beside;
        await tx.query('insert into ordered_kept values (4)');
      });
      const rows = await sql.query<{ n: number }>('select n from ordered_kept order by n');
      expect(rows.map((r) => r.n)).toEqual([3, 4]);
    } finally {
      await sql.close();
    }
  });
}

describe('PGlite', () => savepointOrder(() => openSqlClient({ dataDir: 'memory://' } as StoreOptions)));

describeWithPostgres('PostgreSQL', (newDatabase) => {
  savepointOrder(async () => openSqlClient({ databaseUrl: await newDatabase() }));
});
