// A transaction's statements run in the order sent, and a savepoint (a nested `transaction`) is one step of that
// order: a statement sent beside it (a replay's inbox lines beside its commit) is neither undone by its rollback
// nor rolled back in its place.
import { describeWithPostgres } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { BinaryCopyWriter } from './copyBinary.js';
import { openSqlClient, type SqlClient, type StoreOptions } from './index.js';

/** Runs `fn` with a client that has an empty table `table (n int)`, and closes the client. */
async function withTable(
  open: () => Promise<SqlClient>,
  table: string,
  fn: (sql: SqlClient) => Promise<void>,
) {
  const sql = await open();
  try {
    await sql.query(`create table if not exists ${table} (n int)`);
    await sql.query(`delete from ${table}`);
    await fn(sql);
  } finally {
    await sql.close();
  }
}

function savepointOrder(open: () => Promise<SqlClient>) {
  it('a statement sent while a savepoint is open survives its rollback, and the savepoint undoes only its own', async () => {
    await withTable(open, 'ordered_kept', async (sql) => {
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
    });
  });
}

function savepointRelease(open: () => Promise<SqlClient>) {
  it('a savepoint that ended well keeps its work: released before what follows, or committed with the transaction', async () => {
    await withTable(open, 'released_kept', async (sql) => {
      await sql.transaction(async (tx) => {
        await tx.transaction((nested) => nested.query('insert into released_kept values (1)'));
        // The next savepoint, at the same depth, comes after the first is released: its rollback undoes only
        // its own statements.
        const failed = await tx
          .transaction(async (nested) => {
            await nested.query('insert into released_kept values (2)');
            throw new Error('undone');
          })
          .catch((error: Error) => error.message);
        expect(failed).toBe('undone');
        // Nested twice, both ending well, the last step before the COMMIT.
        await tx.transaction((nested) =>
          nested.transaction((deeper) => deeper.query('insert into released_kept values (3)')),
        );
      });
      const rows = await sql.query<{ n: number }>('select n from released_kept order by n');
      expect(rows.map((r) => r.n)).toEqual([1, 3]);
      // An outer failure after a savepoint ended well undoes it with the rest.
      await sql
        .transaction(async (tx) => {
          await tx.transaction((nested) => nested.query('insert into released_kept values (4)'));
          throw new Error('the whole unit fails');
        })
        .catch(() => {});
      expect((await sql.query('select n from released_kept where n = 4')).length).toBe(0);
    });
  });
}

function sentTogether(open: () => Promise<SqlClient>) {
  it('statements sent without waiting keep their order; a failure is reported by each that follows it, and undoes the unit', async () => {
    await withTable(open, 'sent_together', async (sql) => {
      await sql.transaction(async (tx) => {
        const first = tx.query('insert into sent_together values (1) returning n');
        const second = tx.query('select count(*)::int as c from sent_together');
        // A bulk load sent right behind statements still waiting for their answers.
        const loaded = tx.copyFrom('sent_together (n)', [binaryRows([2, 3])]);
        const third = tx.query('select array_agg(n order by n) as ns from sent_together');
        expect(await first).toEqual([{ n: 1 }]);
        expect(await second).toEqual([{ c: 1 }]);
        expect(await loaded).toBe(2);
        expect(await third).toEqual([{ ns: [1, 2, 3] }]);
      });
      let outcomes: string[] = [];
      const failed = await sql
        .transaction(async (tx) => {
          const kept = tx.query('insert into sent_together values (4)');
          const bad = tx.query('select 1 / (n - n) from sent_together');
          const after = tx.query('insert into sent_together values (5)');
          const settled = await Promise.allSettled([kept, bad, after]);
          outcomes = settled.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).message));
          // The failure is not passed on: the unit must not commit as if all went well.
        })
        .then(
          () => 'committed',
          (error: Error) => error.message,
        );
      expect(outcomes).toEqual(['ok', 'division by zero', 'division by zero']);
      expect(failed).toMatch(/division by zero|rolled back/);
      const rows = await sql.query<{ n: number }>('select n from sent_together order by n');
      expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
    });
  });
}

/** Rows of one int4 column in binary COPY format. */
function binaryRows(values: readonly number[]): Uint8Array {
  const w = new BinaryCopyWriter();
  for (const v of values) w.row(1).int4(v);
  return Buffer.concat(w.chunks());
}

describe('PGlite', () => savepointRelease(() => openSqlClient({ dataDir: 'memory://' } as StoreOptions)));

describe('PGlite', () => savepointOrder(() => openSqlClient({ dataDir: 'memory://' } as StoreOptions)));

describe('PGlite', () => sentTogether(() => openSqlClient({ dataDir: 'memory://' } as StoreOptions)));

describeWithPostgres('PostgreSQL', (newDatabase) => {
  savepointOrder(async () => openSqlClient({ databaseUrl: await newDatabase() }));
  savepointRelease(async () => openSqlClient({ databaseUrl: await newDatabase() }));
  sentTogether(async () => openSqlClient({ databaseUrl: await newDatabase() }));
});
