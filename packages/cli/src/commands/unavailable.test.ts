// A database that refuses writes, met by a batch command: one clear line on stderr naming the reason, a non-zero
// exit, nothing half-written; the same command succeeds once the database is writable again.
import { describeWithPostgres } from '@callpermit/testing';
import { spawnCli } from '@callpermit/testing/serve';
import pg from 'pg';
import { expect, it } from 'vitest';
import { captureFile } from '../test/harness.js';
import { syntheticHistory } from '../test/wire.js';

/** Runs the statements one after the other on one session; the last one's rows. */
async function query<T>(url: string, ...statements: string[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let rows: T[] = [];
    for (const sql of statements) rows = (await client.query(sql)).rows as T[];
    return rows;
  } finally {
    await client.end();
  }
}

describeWithPostgres('a read-only database', (newDatabase) => {
  it('replay says so in one line and exits 1, storing nothing; writable again, the same replay stores everything', async () => {
    const url = await newDatabase();
    const database = new URL(url).pathname.slice(1);
    const file = captureFile(syntheticHistory(40, 1_767_168_000).lines);
    // The schema exists (an empty replay made it); then the database stops taking writes.
    expect((await spawnCli(['replay', captureFile([]), '--database-url', url]).done).code).toBe(0);
    await query(url, `alter database ${database} set default_transaction_read_only = on`);
    const refused = await spawnCli(['replay', file, '--database-url', url]).done;
    expect(refused.code).toBe(1);
    const lines = refused.stderr.trim().split('\n');
    expect(lines, refused.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^callpermit: the database is read-only\b/);
    await query(
      url,
      'set default_transaction_read_only = off',
      `alter database ${database} set default_transaction_read_only = off`,
    );
    expect(await query(url, 'select count(*)::int as n from facts')).toEqual([{ n: 0 }]);
    expect(await query(url, 'select count(*)::int as n from inbox')).toEqual([{ n: 0 }]);
    const again = await spawnCli(['replay', file, '--database-url', url]).done;
    expect(again.code, again.stderr).toBe(0);
    expect((await query<{ n: number }>(url, 'select count(*)::int as n from facts'))[0]?.n).toBeGreaterThan(
      0,
    );
  });
});
