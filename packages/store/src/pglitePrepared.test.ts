// PGlite's transactions run their statements as named prepared statements (pglitePrepared.ts): the answers,
// the errors and the transactions' outcomes must be those of PGlite's own `query`, and the event loop must get
// its turns while a transaction runs. And PGlite opens with the buffer cache it is given (`cacheMb`).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textArrayParam } from './codec.js';
import { openSqlClient, PGLITE_CACHE_MB, type SqlClient, storeOptionsFromEnv } from './index.js';
import { PREPARED_STATEMENTS_MAX } from './statementNames.js';

describe('PGlite: statements of a transaction, prepared by name', () => {
  let sql: SqlClient;
  beforeAll(async () => {
    sql = await openSqlClient({ dataDir: 'memory://' });
    await sql.query(
      'create table kept (id text primary key, n bigint, at double precision, data json, tags text[])',
    );
  });
  afterAll(() => sql.close());

  // Every type of parameter the store sends, and NULLs: what a transaction's statement answers (prepared) is
  // what the same statement answers outside one (PGlite's `query`, parsed each time).
  const row = fc.record({
    id: fc.string({ minLength: 1, maxLength: 12 }),
    n: fc.option(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { nil: null }),
    at: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    data: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: null }),
    tags: fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }),
  });

  it('answers as PGlite’s own query does, for every type of parameter', async () => {
    const insert =
      'insert into kept (id, n, at, data, tags) values ($1, $2, $3, $4::json, $5::text[]) returning *';
    const select =
      'select id, n, at, data, tags from kept where id = any($1::text[]) order by id collate "C"';
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 5 }), async (rows) => {
        await sql.query('delete from kept');
        const ids = rows.map((r) => r.id);
        const written = await sql.transaction(async (tx) => {
          const out = [];
          for (const r of rows) {
            const data = r.data === null ? null : JSON.stringify(r.data);
            out.push(...(await tx.query(insert, [r.id, r.n, r.at, data, textArrayParam(r.tags)])));
          }
          return { out, read: await tx.query(select, [textArrayParam(ids)]) };
        });
        const outside = await sql.query(select, [textArrayParam(ids)]);
        expect(written.read).toEqual(outside);
        expect(written.out).toHaveLength(rows.length);
        for (const r of outside) {
          const given = rows.find((x) => x.id === r.id);
          expect(r.n).toBe(given?.n ?? null);
          expect(r.tags).toEqual(given?.tags);
        }
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('a statement that fails fails its transaction, with PostgreSQL’s error, and the statement runs again after', async () => {
    const insert = 'insert into kept (id, n) values ($1, $2)';
    await sql.query('delete from kept');
    const failure = await sql
      .transaction(async (tx) => {
        await tx.query(insert, ['a', 1]);
        await tx.query(insert, ['a', 2]);
      })
      .catch((error: { code?: string }) => error);
    expect((failure as { code?: string }).code).toBe('23505');
    expect(await sql.query('select count(*)::int as n from kept')).toEqual([{ n: 0 }]);
    await sql.transaction(async (tx) => {
      await tx.query(insert, ['a', 3]);
    });
    expect(await sql.query('select id, n from kept')).toEqual([{ id: 'a', n: 3 }]);
  });

  it('more distinct statements than it keeps prepared still answer, each its own', async () => {
    const count = PREPARED_STATEMENTS_MAX + 20;
    const answers = await sql.transaction(async (tx) => {
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) out.push(...(await tx.query(`select $1::int + ${i} as n`, [i])));
      return out;
    });
    expect(answers).toEqual(Array.from({ length: count }, (_, i) => ({ n: 2 * i })));
  });

  it('the event loop takes turns while a transaction runs (PGlite runs in this thread)', async () => {
    let turns = 0;
    const timeline: string[] = [];
    await sql.transaction(async (tx) => {
      setImmediate(() => {
        turns++;
        timeline.push('turn');
      });
      for (let i = 0; i < 3; i++) {
        await tx.query('select $1::int as n', [i]);
        timeline.push(`statement ${i}`);
      }
    });
    expect(turns).toBe(1);
    // The callback ran before the transaction's last statement answered, not after the whole transaction.
    expect(timeline.indexOf('turn')).toBeLessThan(timeline.indexOf('statement 2'));
  });
});

describe('PGlite: the buffer cache', () => {
  it('opens with the cache asked for, and PostgreSQL’s default otherwise', async () => {
    for (const [cacheMb, shown] of [
      [undefined, '128MB'],
      [256, '256MB'],
    ] as const) {
      const sql = await openSqlClient({
        dataDir: 'memory://',
        ...(cacheMb === undefined ? {} : { cacheMb }),
      });
      try {
        expect(await sql.query('show shared_buffers')).toEqual([{ shared_buffers: shown }]);
      } finally {
        await sql.close();
      }
    }
  });

  it('refuses a cache it cannot be given, saying what it takes, and reads one from the environment', async () => {
    for (const cacheMb of [8, 4096, 100.5])
      await expect(openSqlClient({ dataDir: 'memory://', cacheMb })).rejects.toThrow(
        `the embedded database's cache must be whole megabytes from ${PGLITE_CACHE_MB.min} to ${PGLITE_CACHE_MB.max}, got ${cacheMb}`,
      );
    expect(storeOptionsFromEnv({ dataDir: 'x' }, { CALLPERMIT_PGLITE_CACHE_MB: '512' })).toEqual({
      dataDir: 'x',
      cacheMb: 512,
    });
    expect(() => storeOptionsFromEnv({}, { CALLPERMIT_PGLITE_CACHE_MB: '1G' })).toThrow(
      'CALLPERMIT_PGLITE_CACHE_MB: expected whole megabytes, got 1G',
    );
  });
});
