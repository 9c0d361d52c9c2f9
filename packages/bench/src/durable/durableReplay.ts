import { type ReplayOptions, replayCacheMb, replayCaptures } from '@callpermit/cli';
import { defaultPolicyBook } from '@callpermit/core';
import { openSqlClient, openStore, type SqlClient, type StoreOptions } from '@callpermit/store';
import { human, seconds } from '../benchmark.js';
import type { CaptureFile, CaptureOptions } from '../captureGenerator.js';
import { deadline, type FreshDatabases } from './databases.js';
import {
  copyFloorData,
  createFloorTables,
  type FloorTables,
  insertBatch,
  loadByCopy,
  storedBatches,
} from './floor.js';

/** The capture the replay benchmarks use (replay.memory's too): 1M lines over 10,000 pairs, seed 1. */
export const REPLAY_CAPTURE: CaptureOptions = { lines: 1_000_000, pairs: 10_000, seed: 1 };

/** What one durable replay and its floor measured. */
export interface DurableReplayMeasure {
  readonly lines: number;
  /** Fact rows the replay stored (and the floor wrote again). */
  readonly facts: number;
  /** Inbox rows: one per distinct line. */
  readonly bodies: number;
  /** Replay transactions (and floor transactions). */
  readonly batches: number;
  /** Wall seconds of `replayCaptures`. */
  readonly replaySeconds: number;
  /** Seconds of the copy floor's transaction: every row the replay stored, by COPY (reading back not counted). */
  readonly copyFloorSeconds: number;
  /**
   * The copy floor's COPYs of facts, inbox, heads and checkpoints alone: the floor as it was until session 8,
   * before it loaded the change feed's outbox and due rows too.
   */
  readonly copyFloorWithoutFeedSeconds: number;
  /** Heads, checkpoints and outbox rows the replay left (the copy floor loads them too). */
  readonly heads: number;
  readonly checkpoints: number;
  readonly changes: number;
  /** Seconds spent in the keyed floor's insert transactions (reading the rows back is not counted). */
  readonly floorSeconds: number;
  /** The same into tables without keys or indexes. */
  readonly plainFloorSeconds: number;
}

const PROGRESS_LINES = 100_000;

/**
 * `callpermit replay` of a capture into a fresh database (`replayCaptures`), then the floors, the rows it
 * stored read back and written again into copies of the store's tables in a second fresh database (see
 * floor.ts): by COPY, every table whole (the baseline); then facts and inbox batch for batch with plain
 * multi-row INSERTs, with the store's keys and indexes and without.
 */
export async function measureDurableReplay(
  databases: FreshDatabases,
  capture: CaptureFile,
  log: (message: string) => void,
  limitSeconds: number,
): Promise<DurableReplayMeasure> {
  const where = asReplayOpens(await databases.create('replay'));
  const replay = await timedReplay(where, capture, log, limitSeconds, databases.label);

  const source = await openSqlClient(where);
  try {
    // The floors load into a database set up as the replay's was (the same cache on PGlite).
    const floorClient = await openSqlClient(asReplayOpens(await databases.create('floor')));
    try {
      await createFloorTables(floorClient);
      const copy = await timedCopyFloor(source, floorClient, replay.replaySeconds, log);
      const keyed = await timedFloor(source, floorClient, 'keyed');
      const plain = await timedFloor(source, floorClient, 'plain');
      return { ...replay, ...copy, ...keyed, plainFloorSeconds: plain.floorSeconds };
    } finally {
      await floorClient.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * A fresh database's options as `callpermit replay` opens it: on PGlite with the replay's cache
 * (`replayCacheMb`); a PostgreSQL server keeps its own.
 */
export function asReplayOpens(where: StoreOptions): StoreOptions {
  return where.databaseUrl === undefined ? { ...where, cacheMb: replayCacheMb() } : where;
}

/** `callpermit replay` of the capture into the store `where` names, timed (changes.feed runs it with the feed off too). */
export async function timedReplay(
  where: StoreOptions,
  capture: CaptureFile,
  log: (message: string) => void,
  limitSeconds: number,
  label: string,
  options: ReplayOptions = {},
): Promise<{ lines: number; replaySeconds: number; facts: number; changes: number }> {
  const store = await openStore(where);
  try {
    const overdue = deadline(`the replay into ${label}`, limitSeconds);
    let lines = 0;
    const start = process.hrtime.bigint();
    const counts = await replayCaptures(
      store,
      [capture.path],
      defaultPolicyBook,
      () => {
        if (++lines % PROGRESS_LINES !== 0) return;
        overdue();
        const elapsed = seconds(start);
        log(`  ${lines} lines in ${elapsed.toFixed(1)} s (${human(lines / elapsed)} lines/s)`);
      },
      options,
    );
    const replaySeconds = seconds(start);
    log(
      `  replayed ${counts.lines} lines: ${counts.applied} applied, ${counts.duplicates} duplicates, ` +
        `${counts.ignored} ignored, ${counts.rejected} rejected`,
    );
    if (counts.lines !== capture.lines)
      throw new Error(`the replay read ${counts.lines} lines of ${capture.lines}`);
    return { lines: counts.lines, replaySeconds, facts: counts.facts, changes: counts.changes };
  } finally {
    await store.close();
  }
}

async function timedCopyFloor(
  source: SqlClient,
  target: SqlClient,
  replaySeconds: number,
  log: (message: string) => void,
): Promise<
  Pick<
    DurableReplayMeasure,
    'copyFloorSeconds' | 'copyFloorWithoutFeedSeconds' | 'heads' | 'checkpoints' | 'changes'
  >
> {
  const data = await copyFloorData(source);
  const rows = new Map(data.tables.map((t) => [t.table.name, t.rows]));
  log(
    `  copy floor: ${[...rows].map(([table, n]) => `${n} ${table}`).join(', ')} ` +
      `(${(data.tables.reduce((sum, t) => sum + t.data.reduce((s, c) => s + c.length, 0), 0) / 1e6).toFixed(0)} MB of COPY data)`,
  );
  const times = await loadByCopy(target, data);
  log(
    `  copy floor: ${times.seconds.toFixed(1)} s (${[...times.tables].map(([table, t]) => `${table} ${t.toFixed(1)} s`).join(', ')}; ` +
      `the replay: ${replaySeconds.toFixed(1)} s)`,
  );
  return {
    copyFloorSeconds: times.seconds,
    copyFloorWithoutFeedSeconds: times.withoutFeedSeconds,
    heads: rows.get('heads') ?? 0,
    checkpoints: rows.get('checkpoints') ?? 0,
    changes: rows.get('changes') ?? 0,
  };
}

async function timedFloor(
  source: SqlClient,
  target: SqlClient,
  tables: FloorTables,
): Promise<{ facts: number; bodies: number; batches: number; floorSeconds: number }> {
  let facts = 0;
  let bodies = 0;
  let batches = 0;
  let floorSeconds = 0;
  for await (const batch of storedBatches(source)) {
    const start = process.hrtime.bigint();
    await insertBatch(target, batch, tables);
    floorSeconds += seconds(start);
    facts += batch.facts.length;
    bodies += batch.inbox.length;
    batches++;
  }
  const [written] = await target.query<{ facts: unknown; bodies: unknown }>(
    `select (select count(*) from ${tables}_facts) as facts, (select count(*) from ${tables}_inbox) as bodies`,
  );
  if (Number(written?.facts) !== facts || Number(written?.bodies) !== bodies)
    throw new Error(
      `the ${tables} floor wrote ${written?.facts} facts and ${written?.bodies} bodies of ${facts} and ${bodies}`,
    );
  return { facts, bodies, batches, floorSeconds };
}
