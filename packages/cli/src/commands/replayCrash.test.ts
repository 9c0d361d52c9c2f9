import { describeWithPostgres } from '@callpermit/testing';
import { spawnCli } from '@callpermit/testing/serve';
import pg from 'pg';
import { expect, it } from 'vitest';
import { captureFile } from '../test/harness.js';
import { syntheticHistory } from '../test/wire.js';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Everything that makes up the store's answers: the log (by key) and every head's folded state. */
async function snapshot(url: string) {
  return {
    facts: await query(url, 'select key, stream, type, at, data from facts order by key'),
    heads: await query(url, `select stream, state from heads order by stream`),
    inbox: await query(url, 'select hash, outcome from inbox order by hash'),
  };
}

describeWithPostgres('replay killed with SIGKILL mid-file', (newDatabase) => {
  it('run again, ends with exactly the state of one clean replay', async () => {
    const { lines } = syntheticHistory(3000, 1_767_168_000);
    const file = captureFile(lines);
    const [crashed, clean] = [await newDatabase(), await newDatabase()];

    // Batches much smaller than the file, so that some commit well before the end.
    const first = spawnCli(['replay', file, '--database-url', crashed, '--json', '--batch-lines', '500']);
    // Kill it once some batches have committed, and well before the end.
    let stored = 0;
    for (let i = 0; i < 600 && stored < 2000; i++) {
      await new Promise((r) => setTimeout(r, 50));
      stored = Number(
        (await query<{ n: string }>(crashed, 'select count(*) as n from inbox').catch(() => [{ n: '0' }]))[0]
          ?.n ?? 0,
      );
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const partial = Number((await query<{ n: string }>(crashed, 'select count(*) as n from inbox'))[0]?.n);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(lines.length);

    const again = await spawnCli(['replay', file, '--database-url', crashed, '--json']).done;
    expect(again.code, again.stderr).toBe(0);
    const counts = JSON.parse(again.stdout) as Record<string, number>;
    expect(counts.duplicates).toBeGreaterThanOrEqual(partial);

    const once = await spawnCli(['replay', file, '--database-url', clean, '--json']).done;
    expect(once.code, once.stderr).toBe(0);
    const [a, b] = [await snapshot(crashed), await snapshot(clean)];
    expect(a.facts.length).toBeGreaterThan(lines.length / 2);
    expect(a.facts).toEqual(b.facts);
    expect(a.heads).toEqual(b.heads);
    expect(a.inbox).toEqual(b.inbox);
  });
});
