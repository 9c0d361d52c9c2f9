// Both drivers run statements with parameters as named prepared statements (pglitePrepared.ts inside PGlite's
// transactions; pgClient.ts on PostgreSQL): what a statement answers, how it fails, and what happens beyond the
// statements kept prepared must be what an unprepared statement gives.
import { describeWithPostgres } from '@callpermit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textArrayParam } from './codec.js';
import { openSqlClient, type SqlClient } from './index.js';
import { PREPARED_STATEMENTS_MAX, statementNames } from './statementNames.js';

function preparedStatementSuite(open: () => Promise<SqlClient>): () => SqlClient {
  let sql: SqlClient | undefined;
  const client = () => sql as SqlClient;
  beforeAll(async () => {
    sql = await open();
    await sql.query(
      'create table kept (id text primary key, n bigint, at double precision, data json, tags text[])',
    );
  });
  afterAll(() => sql?.close());

  // Every type of parameter the store sends, and NULLs: a transaction's statements (prepared) store and read
  // back what they were given, and read what the same statement reads outside the transaction.
  const row = fc.record({
    id: fc.string({ minLength: 1, maxLength: 12 }),
    n: fc.option(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { nil: null }),
    at: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    data: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: null }),
    tags: fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }),
  });

  it('answers what it was given, for every type of parameter, inside a transaction and out', async () => {
    const insert =
      'insert into kept (id, n, at, data, tags) values ($1, $2, $3, $4::json, $5::text[]) returning *';
    const select =
      'select id, n, at, data, tags from kept where id = any($1::text[]) order by id collate "C"';
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 5 }), async (rows) => {
        await client().query('delete from kept');
        const ids = rows.map((r) => r.id);
        const written = await client().transaction(async (tx) => {
          const out = [];
          for (const r of rows) {
            const data = r.data === null ? null : JSON.stringify(r.data);
            out.push(...(await tx.query(insert, [r.id, r.n, r.at, data, textArrayParam(r.tags)])));
          }
          return { out, read: await tx.query(select, [textArrayParam(ids)]) };
        });
        const outside = await client().query(select, [textArrayParam(ids)]);
        expect(written.read).toEqual(outside);
        expect(written.out).toHaveLength(rows.length);
        expect(outside).toHaveLength(rows.length);
        for (const r of outside) {
          const given = rows.find((x) => x.id === r.id);
          expect(r.n).toBe(given?.n ?? null);
          // -0 leaves both drivers as "0".
          expect(r.at).toBe(given?.at === undefined || given.at === null ? null : given.at + 0);
          const data = given?.data ?? null;
          expect(r.data).toEqual(data === null ? null : JSON.parse(JSON.stringify(data)));
          expect(r.tags).toEqual(given?.tags);
        }
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('a statement that fails fails its transaction, with PostgreSQL’s error, and the statement runs again after', async () => {
    const insert = 'insert into kept (id, n) values ($1, $2)';
    await client().query('delete from kept');
    const failure = await client()
      .transaction(async (tx) => {
        await tx.query(insert, ['a', 1]);
        await tx.query(insert, ['a', 2]);
      })
      .catch((error: { code?: string }) => error);
    expect((failure as { code?: string }).code).toBe('23505');
    expect(await client().query('select count(*)::int as n from kept')).toEqual([{ n: 0 }]);
    await client().transaction(async (tx) => {
      await tx.query(insert, ['a', 3]);
    });
    expect(await client().query('select id, n from kept')).toEqual([{ id: 'a', n: 3 }]);
  });

  it('more distinct statements than it keeps prepared still answer, each its own', async () => {
    const count = PREPARED_STATEMENTS_MAX + 20;
    const answers = await client().transaction(async (tx) => {
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) out.push(...(await tx.query(`select $1::int + ${i} as n`, [i])));
      return out;
    });
    expect(answers).toEqual(Array.from({ length: count }, (_, i) => ({ n: 2 * i })));
  });
  return client;
}

describe('statement names', () => {
  it('one per distinct text, the same each time, none beyond the bound and none without parameters', () => {
    const nameOf = statementNames(2);
    const first = nameOf('select $1', [1]);
    expect(first).toBeDefined();
    expect(nameOf('select $1', [2])).toBe(first);
    const second = nameOf('select $1, $2', [1, 2]);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(nameOf('select $1, $2, $3', [1, 2, 3])).toBeUndefined();
    expect(nameOf('select $1', [3])).toBe(first);
    expect(nameOf('commit')).toBeUndefined();
    expect(nameOf('select 1', [])).toBeUndefined();
  });
});

describe('PGlite: statements with parameters, prepared by name in a transaction', () => {
  preparedStatementSuite(() => openSqlClient({ dataDir: 'memory://' }));
});

describeWithPostgres('PostgreSQL: statements with parameters, prepared by name', (newDatabase) => {
  preparedStatementSuite(async () => openSqlClient({ databaseUrl: await newDatabase() }));

  // The point of naming them: the server parses a statement once per connection and keeps it, so each later
  // run is only bound and executed (`pg` remembers which connection has which).
  it('a statement run again on a connection is the one prepared there, not parsed anew', async () => {
    const sql = await openSqlClient({ databaseUrl: await newDatabase() });
    const preparedAs = (tx: SqlClient, statement: string) =>
      tx.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements where statement = $1', [
        statement,
      ]);
    try {
      const statement = 'select $1::int + 1 as n';
      const prepared = await sql.transaction(async (tx) => {
        await tx.query(statement, [0]);
        await tx.query(statement, [1]);
        return preparedAs(tx, statement);
      });
      expect(prepared).toEqual([{ n: 1 }]);
      // A statement without parameters (transaction control, locks) is sent as it is.
      const unprepared = await sql.transaction(async (tx) => {
        await tx.query('select 1 as one');
        return preparedAs(tx, 'select 1 as one');
      });
      expect(unprepared).toEqual([{ n: 0 }]);
    } finally {
      await sql.close();
    }
  });
});
