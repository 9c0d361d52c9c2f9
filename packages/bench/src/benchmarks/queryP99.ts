import { join } from 'node:path';
import {
  defaultPolicyBook,
  Engine,
  type Pair,
  type PairFact,
  pairStateToJson,
  pairStreamId,
} from '@callpermit/core';
import { openStore, type SqlStore } from '@callpermit/store';
import { type Benchmark, result, round, seconds } from '../benchmark.js';
import { deadline, withTempDir } from '../durable/databases.js';
import { pairHistory } from '../durable/pairHistory.js';

/** History lengths measured; the result is the middle one, the others show whether latency stays flat. */
const HISTORIES = [100, 10_000, 100_000] as const;
const MEASURED = 10_000;
const SEED = 99;
const INGEST_BATCH = 1000;
const WARM_UP = 200;
const QUERIES = 2000;
/** Queries step a minute apart from the last fact on: all at or after it, as live queries are. */
const QUERY_STEP_SECONDS = 60;
const TARGET_MS = 1;
const LIMIT_SECONDS = 900;

interface Latency {
  readonly facts: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly stateBytes: number;
}

/**
 * query.p99: `engine.callPermissions(pair, at)` over an embedded store (PGlite in a fresh directory), for a
 * pair with 10,000 facts ingested through an Engine, at instants at and after its last fact: 2,000 timed
 * queries after 200 unrecorded ones. Pairs with 100 and 100,000 facts are measured the same way, in the
 * same store, to show whether latency grows with history. Reported as queries per second at the p99
 * latency (1 ÷ p99), against the target of 1 ms (1,000/s); higher is better. Raw p50/p99 go to stderr.
 */
export const queryP99: Benchmark = {
  name: 'query.p99',
  async run(log) {
    const latencies = await withTempDir('callpermit-bench-', async (dir) => {
      const store = await openStore({ dataDir: join(dir, 'db') });
      try {
        const overdue = deadline('query.p99', LIMIT_SECONDS);
        const histories = HISTORIES.map((count, index) => pairHistory(index, count, SEED));
        for (const { pair, facts } of histories) {
          const start = process.hrtime.bigint();
          await ingest(store, facts, overdue);
          log(`query.p99: ingested ${facts.length} facts of ${pair.user} in ${seconds(start).toFixed(1)} s`);
        }
        const measured: Latency[] = [];
        for (const { pair, facts } of histories) {
          const latency = await queryLatency(store, pair, facts);
          const uncached = await queryLatency(store, pair, facts, 0);
          log(
            `query.p99: ${latency.facts} facts: p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms, ` +
              `max ${latency.max.toFixed(3)} ms over ${QUERIES} queries; head state ${latency.stateBytes} bytes of JSON; ` +
              `with the head cache off: p50 ${uncached.p50.toFixed(3)} ms, p99 ${uncached.p99.toFixed(3)} ms`,
          );
          measured.push(latency);
        }
        return measured;
      } finally {
        await store.close();
      }
    });
    const main = latencies.find((l) => l.facts === MEASURED) as Latency;
    return result(
      'query.p99',
      'queries/s at p99 latency (1 ÷ p99), pair with 10,000 facts, PGlite',
      round(1000 / main.p99),
      1000 / TARGET_MS,
      'target: p99 of 1 ms',
    );
  },
};

async function ingest(store: SqlStore, facts: readonly PairFact[], overdue: () => void): Promise<void> {
  const engine = new Engine(store, { policy: defaultPolicyBook });
  for (let i = 0; i < facts.length; i += INGEST_BATCH) {
    const { applied } = await engine.ingest(facts.slice(i, i + INGEST_BATCH));
    if (applied !== Math.min(INGEST_BATCH, facts.length - i))
      throw new Error(`ingested ${applied} of ${Math.min(INGEST_BATCH, facts.length - i)} facts`);
    overdue();
  }
}

/**
 * A fresh Engine, as a process that only answers queries would have. Its head cache keeps the pair's head
 * after the first query, and each query still reads the head's revision (another process may have moved
 * it); `headCacheSize: 0` reads and decodes the whole head every time, for comparison.
 */
async function queryLatency(
  store: SqlStore,
  pair: Pair,
  facts: readonly PairFact[],
  headCacheSize?: number,
): Promise<Latency> {
  const engine = new Engine(store, {
    policy: defaultPolicyBook,
    ...(headCacheSize === undefined ? {} : { headCacheSize }),
  });
  const last = Math.max(...facts.map((f) => f.at));
  const times: number[] = [];
  for (let i = 0; i < WARM_UP + QUERIES; i++) {
    const at = last + (i % QUERIES) * QUERY_STEP_SECONDS;
    const start = performance.now();
    await engine.callPermissions(pair, at);
    const elapsed = performance.now() - start;
    if (i >= WARM_UP) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  const head = (await store.heads([pairStreamId(pair)])).get(pairStreamId(pair));
  return {
    facts: facts.length,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    max: times[times.length - 1] as number,
    stateBytes: JSON.stringify(head?.state ? pairStateToJson(head.state) : null).length,
  };
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}
