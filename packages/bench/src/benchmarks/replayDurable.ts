import { type Benchmark, human, result } from '../benchmark.js';
import { cachedCapture } from '../captureGenerator.js';
import { type Driver, withFreshDatabases } from '../durable/databases.js';
import { REPLAY_CAPTURE as CAPTURE, measureDurableReplay } from '../durable/durableReplay.js';

/** A replay that has not finished by then is stopped and the benchmark fails (about 4× the expected time). */
const LIMIT_SECONDS = 900;

function durableReplayBenchmark(name: string, driver: Driver): Benchmark {
  return {
    name,
    async run(log) {
      const capture = cachedCapture(CAPTURE);
      if (capture.seconds > 0)
        log(`capture: generated ${capture.lines} lines in ${capture.seconds.toFixed(1)} s → ${capture.path}`);
      const m = await withFreshDatabases(driver, log, async (databases) => {
        log(`${name}: replaying ${CAPTURE.lines} lines into a fresh ${databases.label} database`);
        return measureDurableReplay(databases, capture, log, LIMIT_SECONDS);
      });
      const ours = m.facts / m.replaySeconds;
      const copy = m.facts / m.copyFloorSeconds;
      const keyed = m.facts / m.floorSeconds;
      const plain = m.facts / m.plainFloorSeconds;
      log(
        `${name}: replay ${m.lines} lines in ${m.replaySeconds.toFixed(1)} s (${human(m.lines / m.replaySeconds)} lines/s): ` +
          `${m.facts} facts (${human(ours)} facts/s), ${m.bodies} inbox rows, ${m.heads} heads, ` +
          `${m.checkpoints} checkpoints and ${m.changes} outbox rows in ${m.batches} transactions`,
      );
      log(
        `${name}: copy floor, every row the replay stored (facts, inbox, heads, checkpoints, outbox, due) by one ` +
          `binary COPY per table in one transaction, into copies of the store's tables with their keys and indexes: ` +
          `${m.copyFloorSeconds.toFixed(1)} s (${human(copy)} facts/s, ratio ${(ours / copy).toFixed(3)})`,
      );
      log(
        `${name}: the same floor's COPYs of facts, inbox, heads and checkpoints alone (the floor until session 8): ` +
          `${m.copyFloorWithoutFeedSeconds.toFixed(1)} s (ratio ${(m.copyFloorWithoutFeedSeconds / m.replaySeconds).toFixed(3)})`,
      );
      log(
        `${name}: keyed floor, the same ${m.facts} fact rows and ${m.bodies} inbox rows by plain multi-row INSERTs ` +
          `in ${m.batches} transactions, into copies of the store's tables with their keys and indexes: ` +
          `${m.floorSeconds.toFixed(1)} s (${human(keyed)} facts/s, ratio ${(ours / keyed).toFixed(3)})`,
      );
      log(
        `${name}: plain floor, the same into the same columns without keys or indexes: ` +
          `${m.plainFloorSeconds.toFixed(1)} s (${human(plain)} facts/s, ratio ${(ours / plain).toFixed(3)})`,
      );
      return result(
        name,
        'facts/s',
        Math.round(ours),
        Math.round(copy),
        "binary COPY of every row the replay stored (facts, inbox, heads, checkpoints, the change feed's outbox and due rows) into copies of the store's tables (same keys and indexes), one COPY per table in one transaction",
      );
    },
  };
}

/**
 * replay.pglite and replay.postgres: `callpermit replay` (replayCaptures) of the 1M-line capture into a fresh
 * database, against the copy floor: every row it stored (facts, inbox, heads, checkpoints; with the change feed,
 * which `replay` runs by default, the outbox and due rows) loaded again by
 * binary COPY into tables with the store's keys and indexes. The keyed and plain INSERT floors (the
 * baselines before issue 14) and their ratios go to stderr. Unit: facts stored per second.
 */
export const replayPglite = durableReplayBenchmark('replay.pglite', 'pglite');
export const replayPostgres = durableReplayBenchmark('replay.postgres', 'postgres');
