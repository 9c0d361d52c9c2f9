import { replayCaptures } from '@callpermit/cli';
import { defaultPolicyBook, type Fact, sameFact } from '@callpermit/core';
import { openStore, type SqlStore } from '@callpermit/store';
import { type Benchmark, human, median, result, seconds } from '../benchmark.js';
import { cachedCapture } from '../captureGenerator.js';
import { type Driver, withFreshDatabases } from '../durable/databases.js';

/** A tenth of the replay benchmarks' capture: the check's cost per fact does not depend on the log's size. */
const CAPTURE = { lines: 100_000, pairs: 1000, seed: 1 };
/** As many facts as one replay batch of 4,000 lines carries, about. */
const BATCH = 4000;
const ROUNDS = 5;

/** Every fact of the store's log, in pages. */
async function wholeLog(store: SqlStore): Promise<Fact[]> {
  const facts: Fact[] = [];
  for (let after = 0; ; ) {
    const page = await store.readAll(after, 10_000);
    if (page.length === 0) return facts;
    for (const r of page) facts.push(r.fact);
    after = (page.at(-1) as { position: number }).position;
  }
}

/**
 * How a second replay of the same capture tells a duplicate from a conflict (a known key with other content):
 * `Engine.ingest` reads the stored facts of the known keys (`FactStore.factsByKey`) and compares each with
 * the fact given again (`sameFact`, source aside). Measured on a store filled by `callpermit replay` of a
 * 100,000-line capture, batch by batch (4,000 facts, each given again from another source), alternated with
 * the baseline: `knownKeys`, the keys-only read that could only count duplicates, as ingest did before.
 * Facts per second; the ratio is the share of the keys-only speed the conflict check keeps (the first
 * replay of new facts pays nothing: unknown keys return no rows either way). stderr puts the difference
 * beside the wall time of a whole second `callpermit replay` of the capture.
 */
function replayAgain(name: string, driver: Driver): Benchmark {
  return {
    name,
    async run(log) {
      const capture = cachedCapture(CAPTURE);
      return withFreshDatabases(driver, log, async (databases) => {
        const where = await databases.create('again');
        const store = await openStore(where);
        try {
          const start = process.hrtime.bigint();
          await replayCaptures(store, [capture.path], defaultPolicyBook);
          log(
            `${name}: replayed ${CAPTURE.lines} lines into ${databases.label} in ${seconds(start).toFixed(1)} s`,
          );
          const again = process.hrtime.bigint();
          await replayCaptures(store, [capture.path], defaultPolicyBook);
          const secondReplay = seconds(again);
          log(`${name}: replayed them again (every fact a duplicate) in ${secondReplay.toFixed(1)} s`);
          const facts = await wholeLog(store);
          const batches: Fact[][] = [];
          for (let i = 0; i < facts.length; i += BATCH) batches.push(facts.slice(i, i + BATCH));
          const checked: number[] = [];
          const keysOnly: number[] = [];
          for (let round = 0; round < ROUNDS; round++) {
            let withContent = 0;
            let keys = 0;
            for (const batch of batches) {
              const again = batch.map((f) => ({ ...f, source: { kind: 'webhook' as const, ref: 'again' } }));
              const given = again.map((f) => f.key);
              let t = process.hrtime.bigint();
              const known = await store.knownKeys(given);
              keys += seconds(t);
              t = process.hrtime.bigint();
              const stored = await store.factsByKey(given);
              let same = 0;
              for (const f of again) if (sameFact(stored.get(f.key) as Fact, f)) same++;
              withContent += seconds(t);
              if (known.size !== batch.length || same !== batch.length)
                throw new Error(`${name}: a stored fact was not found again, or not the same`);
            }
            checked.push(facts.length / withContent);
            keysOnly.push(facts.length / keys);
            log(
              `${name}: round ${round + 1}: ${facts.length} facts: factsByKey + sameFact ${human(facts.length / withContent)} facts/s, ` +
                `knownKeys ${human(facts.length / keys)} facts/s`,
            );
          }
          const ours = median(checked);
          const baseline = median(keysOnly);
          const extra = facts.length * (1 / ours - 1 / baseline);
          log(
            `${name}: the check costs ${((extra / facts.length) * 1e6).toFixed(1)} µs a fact more than keys alone: ` +
              `${extra.toFixed(2)} s, ${((100 * extra) / secondReplay).toFixed(1)} % of the second replay`,
          );
          return result(
            name,
            'facts/s (a second replay telling duplicates from conflicts)',
            Math.round(ours),
            Math.round(baseline),
            'knownKeys: the same keys read without their facts (duplicates counted, conflicts not seen)',
          );
        } finally {
          await store.close();
        }
      });
    },
  };
}

export const replayAgainPglite = replayAgain('replay.again.pglite', 'pglite');
export const replayAgainPostgres = replayAgain('replay.again.postgres', 'postgres');
