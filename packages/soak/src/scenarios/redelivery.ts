// Redelivery and disorder: Meta retries for days and promises no order. The same signed load delivered three
// times, shuffled, across two `serve` instances on one PostgreSQL, must answer every pair's GET exactly as one
// ordered delivery to one instance does: the same JSON text, byte for byte, from either instance; the same log.
import { Random } from '@callpermit/bench';
import type { ServeProcess } from '@callpermit/testing/serve';
import { webhookCorpus } from '../parts/corpus.js';
import { cleanReplay, comparedInstants, permissionsPath } from '../parts/reference.js';
import { call, concurrently, deliver, startService } from '../parts/services.js';
import { differences, snapshotStore } from '../parts/storeSnapshot.js';
import { type Scenario, Tally } from '../scenario.js';

const SIZES = {
  short: { webhooks: 300, pairs: 40, copies: 3, concurrency: 8 },
  full: { webhooks: 5000, pairs: 400, copies: 3, concurrency: 16 },
};

/** Fisher–Yates with the bench's seeded random source: the same order on every run. */
function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export const redelivery: Scenario = {
  name: 'redelivery',
  summary:
    'the same webhooks ×3, shuffled, across two instances on one PostgreSQL: GET bodies byte for byte those of one ordered delivery',
  async run(context) {
    const size = SIZES[context.size];
    const tally = new Tally();
    const corpus = webhookCorpus(size.webhooks, size.pairs, 27);
    const reference = await cleanReplay(corpus);
    const instants = comparedInstants(reference);
    const [orderedUrl, shuffledUrl] = [await context.newDatabase(), await context.newDatabase()];
    const started: ServeProcess[] = [];
    try {
      // One ordered delivery, one at a time, to one instance: the answers to match.
      const one = await startService({ databaseUrl: orderedUrl });
      started.push(one);
      for (const d of corpus) {
        const answer = await deliver(one.url, d);
        tally.inputs++;
        if (answer.status !== 200)
          tally.add(
            'serverErrors',
            answer.status >= 500 ? 1 : 0,
            `ordered delivery answered ${answer.status}`,
          );
        if (answer.status !== 200)
          tally.add('lost', 1, `an ordered delivery was not acknowledged (${answer.status})`);
      }
      tally.rounds++;
      const expected = new Map<string, string>();
      await concurrently(reference.pairs, 8, async (pair) => {
        for (const at of instants) {
          const answer = await call(one.url, permissionsPath(pair, at));
          expected.set(
            permissionsPath(pair, at),
            answer.status === 200 ? answer.text : `status ${answer.status}`,
          );
        }
      });
      await one.stop();

      // Three copies, shuffled together, each delivered to either instance at random, many at once.
      const [a, b] = [
        await startService({ databaseUrl: shuffledUrl }),
        await startService({ databaseUrl: shuffledUrl }),
      ];
      started.push(a, b);
      const random = new Random(91);
      const deliveries = shuffled(Array.from({ length: size.copies }, () => corpus).flat(), random).map(
        (d) => ({ d, to: random.chance(0.5) ? a : b }),
      );
      let duplicates = 0;
      await concurrently(deliveries, size.concurrency, async ({ d, to }) => {
        let answer = await deliver(to.url, d);
        tally.inputs++;
        // Meta retries what was not acknowledged; nothing here should need it.
        for (let retry = 0; answer.status !== 200 && retry < 3; retry++) {
          tally.add(
            'serverErrors',
            answer.status >= 500 ? 1 : 0,
            `a shuffled delivery answered ${answer.status}: ${'text' in answer ? answer.text.slice(0, 200) : answer.failure}`,
          );
          answer = await deliver(to.url, d);
        }
        if (answer.status !== 200) tally.add('lost', 1, 'a shuffled delivery was never acknowledged');
        else if (answer.text.includes('"duplicate"')) duplicates++;
      });
      tally.rounds += size.copies;

      // Both instances answer every pair exactly as the ordered delivery did.
      let compared = 0;
      const examples: string[] = [];
      let differing = 0;
      await concurrently([...expected], 8, async ([path, text]) => {
        for (const instance of [a, b]) {
          compared++;
          const answer = await call(instance.url, path);
          const got = answer.status === 200 ? answer.text : `status ${answer.status}`;
          if (got === text) continue;
          differing++;
          if (examples.length < 3) examples.push(`${path}: ordered ${text}, shuffled ${got}`);
        }
      });
      tally.add(
        'violations',
        differing,
        `GET bodies that differ from the ordered delivery's: ${examples.join(' | ')}`,
      );
      await a.stop();
      await b.stop();

      // The same log, each body once in the inbox.
      const [ordered, disordered] = [
        await snapshotStore({ databaseUrl: orderedUrl }),
        await snapshotStore({ databaseUrl: shuffledUrl }),
      ];
      tally.add(
        'lost',
        differences(ordered.facts, disordered.facts).count,
        'facts of the ordered delivery missing or different',
      );
      const extra = [...disordered.facts.keys()].filter((k) => !ordered.facts.has(k)).length;
      tally.add('doubleCounted', extra, 'facts the ordered delivery does not have');
      tally.add('doubleCounted', disordered.factRows - disordered.facts.size, 'fact keys stored twice');
      tally.add(
        'doubleCounted',
        Math.max(0, disordered.inbox.size - ordered.inbox.size),
        'bodies kept more than once',
      );
      const distinct = new Set(corpus.map((d) => d.body)).size;
      const expectedDuplicates = size.copies * corpus.length - distinct;
      tally.add(
        'doubleCounted',
        Math.max(0, expectedDuplicates - duplicates),
        'redeliveries not answered as duplicates',
      );
      tally.note({
        webhooks: corpus.length,
        deliveries: deliveries.length,
        duplicates,
        expectedDuplicates,
        answersCompared: compared,
        pairs: reference.pairs.length,
      });
    } finally {
      for (const s of started) await s.stop();
    }
    return tally.report();
  },
};
