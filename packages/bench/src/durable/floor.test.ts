// The copy floor is the baseline of replay.pglite and replay.postgres: it must load every row the replay stored,
// or the ratio compares the replay with less work than it did (until session 8 it left out the change feed's
// outbox and due rows).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayCaptures } from '@callpermit/cli';
import { defaultPolicyBook } from '@callpermit/core';
import { openSqlClient, openStore, type SqlClient } from '@callpermit/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCapture } from '../captureGenerator.js';
import { COPY_FLOOR_TABLES, copyFloorData, createFloorTables, loadByCopy } from './floor.js';

/** Tables a replay does not write: the schema's own bookkeeping and the service's configuration. */
const NOT_REPLAYED = new Set(['schema_migrations', 'settings', 'subscriptions']);

async function rowCounts(client: SqlClient, prefix = ''): Promise<Map<string, number>> {
  const tables = await client.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
  );
  const counts = new Map<string, number>();
  for (const { name } of tables) {
    if (!name.startsWith(prefix) || NOT_REPLAYED.has(name)) continue;
    const [row] = await client.query<{ n: number }>(`select count(*)::int as n from ${name}`);
    counts.set(name.slice(prefix.length), row?.n ?? 0);
  }
  return counts;
}

describe('the durable replay benchmarks’ copy floor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callpermit-floor-'));
  let source: SqlClient;
  let target: SqlClient;
  beforeAll(async () => {
    const capture = writeCapture({ lines: 3000, pairs: 60, seed: 5 }, join(dir, 'capture.ndjson'));
    const store = await openStore({ dataDir: join(dir, 'replay') });
    try {
      await replayCaptures(store, [capture.path], defaultPolicyBook, () => {}, { changeFeed: true });
    } finally {
      await store.close();
    }
    source = await openSqlClient({ dataDir: join(dir, 'replay') });
    target = await openSqlClient({ dataDir: join(dir, 'floor') });
  });
  afterAll(async () => {
    await source?.close();
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every row of every table the replay wrote, the change feed’s included', async () => {
    const stored = await rowCounts(source);
    const written = [...stored].filter(([, n]) => n > 0).map(([table]) => table);
    // The feed's tables are among them: a floor without them would compare the replay with less work.
    expect(written).toEqual(expect.arrayContaining(['facts', 'inbox', 'heads', 'changes', 'due']));
    expect([...COPY_FLOOR_TABLES].sort()).toEqual(expect.arrayContaining(written.sort()));

    await createFloorTables(target);
    const times = await loadByCopy(target, await copyFloorData(source));
    expect([...times.tables.keys()].sort()).toEqual([...COPY_FLOOR_TABLES].sort());
    const loaded = await rowCounts(target, 'copy_');
    for (const table of written) expect(loaded.get(table), table).toBe(stored.get(table));
  });

  it('copies the heads with the feed’s columns (when each pair next changes)', async () => {
    const columns =
      'stream, business, version, state::text as state, last_at, stale_from, revision, changes_until, next_change_at';
    const heads = await source.query(`select ${columns} from heads order by stream`);
    expect(heads.some((h) => h.next_change_at !== null)).toBe(true);
    expect(await target.query(`select ${columns} from copy_heads order by stream`)).toEqual(heads);
  });
});
