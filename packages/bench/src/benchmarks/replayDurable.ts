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
      const floor = m.facts / m.floorSeconds;
      const plain = m.facts / m.plainFloorSeconds;
      log(
        `${name}: replay ${m.lines} lines in ${m.replaySeconds.toFixed(1)} s (${human(m.lines / m.replaySeconds)} lines/s): ` +
          `${m.facts} facts (${human(ours)} facts/s) and ${m.bodies} inbox rows in ${m.batches} transactions`,
      );
      log(
        `${name}: floor, the same ${m.facts} fact rows and ${m.bodies} inbox rows by plain multi-row INSERTs in ` +
          `${m.batches} transactions, into copies of the store's tables with their keys and indexes: ` +
          `${m.floorSeconds.toFixed(1)} s (${human(floor)} facts/s); into the same columns without keys or ` +
          `indexes: ${m.plainFloorSeconds.toFixed(1)} s (${human(plain)} facts/s, ratio ${(ours / plain).toFixed(3)})`,
      );
      return result(
        name,
        'facts/s',
        Math.round(ours),
        Math.round(floor),
        "plain multi-row INSERTs of the same fact and inbox rows into copies of the store's tables (same keys and indexes), one transaction per replay batch",
      );
    },
  };
}

/**
 * replay.pglite and replay.postgres: `callpermit replay` (replayCaptures: translation, engine, one
 * transaction of facts and inbox lines per 4,000-line batch) of the 1M-line capture into a fresh database,
 * against the floor: the rows it stored written again with plain multi-row INSERTs, batch for batch, into
 * tables with the store's keys and indexes (the figure into unkeyed tables goes to stderr).
 * Unit: facts stored per second.
 */
export const replayPglite = durableReplayBenchmark('replay.pglite', 'pglite');
export const replayPostgres = durableReplayBenchmark('replay.postgres', 'postgres');
