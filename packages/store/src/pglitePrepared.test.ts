// PGlite's transactions run their statements as named prepared statements (pglitePrepared.ts), and the event
// loop must get its turns while a transaction runs (the answers themselves are checked for both drivers in
// preparedStatements.test.ts). And PGlite opens with the buffer cache it is given (`cacheMb`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlClient, PGLITE_CACHE_MB, type SqlClient, storeOptionsFromEnv } from './index.js';

describe('PGlite: a transaction of prepared statements', () => {
  let sql: SqlClient;
  beforeAll(async () => {
    sql = await openSqlClient({ dataDir: 'memory://' });
  });
  afterAll(() => sql.close());

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
