// Crash under load: `callpermit serve` SIGKILLed while signed webhooks pour in, restarted, and sent again what it
// had not acknowledged (as Meta retries), round after round. After each kill the store is read directly: every
// webhook that got a 200 must be in it (inbox and facts). At the end the log and every pair's GET body must equal a
// clean replay of the same bodies: nothing lost, nothing counted twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@callpermit/bench';
import { bodyHash } from '@callpermit/store';
import type { ServeProcess } from '@callpermit/testing/serve';
import { webhookCorpus } from '../parts/corpus.js';
import { cleanReplay, compareAnswers, comparedInstants } from '../parts/reference.js';
import { concurrently, deliver, kill, type StoreTarget, startService } from '../parts/services.js';
import { differences, snapshotStore } from '../parts/storeSnapshot.js';
import { type Scenario, type SoakContext, Tally } from '../scenario.js';

const SIZES = {
  short: { rounds: 2, webhooks: 240, pairs: 40, concurrency: 6 },
  full: { rounds: 20, webhooks: 6000, pairs: 400, concurrency: 16 },
};

function crashServe(driver: 'pglite' | 'postgres'): Scenario {
  return {
    name: `crash.serve.${driver}`,
    summary: `SIGKILL to serve (${driver}) under a signed-webhook load, restart, resend the unacknowledged: every 200 is stored, and the end equals a clean replay`,
    async run(context: SoakContext) {
      const size = SIZES[context.size];
      const tally = new Tally();
      const corpus = webhookCorpus(size.webhooks, size.pairs, 15);
      const reference = await cleanReplay(corpus);
      const hashes = corpus.map((d) => bodyHash(d.body));
      const dir = mkdtempSync(join(tmpdir(), 'callpermit-soak-crash-'));
      const target: StoreTarget =
        driver === 'pglite' ? { dataDir: join(dir, 'db') } : { databaseUrl: await context.newDatabase() };
      const random = new Random(7 + size.rounds);
      const acked = new Set<number>();
      let pending = corpus.map((_, i) => i);
      let killsUnderLoad = 0;
      let service: ServeProcess | undefined;
      try {
        for (let round = 0; round <= size.rounds && pending.length > 0; round++) {
          const last = round === size.rounds;
          service = await startService(target);
          const url = service.url;
          // Killed once a random share of what is left has been acknowledged: mid-load on any machine.
          const killAfter = last
            ? Number.POSITIVE_INFINITY
            : random.int(1, Math.max(1, Math.floor(pending.length / 2)));
          let ackedThisRound = 0;
          let killing: Promise<void> | undefined;
          const unacknowledged: number[] = [];
          await concurrently(pending, size.concurrency, async (i) => {
            if (killing !== undefined) {
              unacknowledged.push(i);
              return;
            }
            const answer = await deliver(url, corpus[i] as (typeof corpus)[number]);
            tally.inputs++;
            if (answer.status === 200) {
              acked.add(i);
              ackedThisRound++;
              if (ackedThisRound >= killAfter && killing === undefined)
                killing = kill(service as ServeProcess);
              return;
            }
            if (answer.status >= 500)
              tally.add('serverErrors', 1, `round ${round}: a delivery answered ${answer.status}`);
            unacknowledged.push(i);
          });
          if (killing !== undefined) {
            await killing;
            if (unacknowledged.length > 0) killsUnderLoad++;
          } else {
            await service.stop();
          }
          tally.rounds++;
          pending = unacknowledged.sort((a, b) => a - b);

          // Every acknowledged webhook is in the store: its body in the inbox and its facts in the log.
          const stored = await snapshotStore(target);
          let missing = 0;
          for (const i of acked) {
            const absent =
              !stored.inbox.has(hashes[i] as string) ||
              reference.keysOf(i).some((key) => !stored.facts.has(key));
            if (absent) missing++;
          }
          tally.add(
            'lost',
            missing,
            `round ${round}: ${missing} acknowledged webhooks not in the store after the kill`,
          );
          tally.add(
            'doubleCounted',
            stored.factRows - stored.facts.size,
            `round ${round}: fact keys stored twice`,
          );
          context.log(
            `${driver} round ${round}: ${ackedThisRound} acknowledged, ${pending.length} to resend, store holds ${stored.facts.size} facts`,
          );
        }
        tally.add('lost', pending.length, `${pending.length} webhooks never acknowledged`);

        // The end: the same log and the same answers as one clean replay.
        const final = await snapshotStore(target);
        const missingFacts = differences(reference.facts, final.facts);
        const extraFacts = [...final.facts.keys()].filter((key) => !reference.facts.has(key));
        tally.add('lost', missingFacts.count, `facts missing or different: ${missingFacts.keys.join(', ')}`);
        tally.add(
          'doubleCounted',
          extraFacts.length,
          `facts a clean replay does not have: ${extraFacts.slice(0, 5).join(', ')}`,
        );
        tally.add('doubleCounted', final.factRows - final.facts.size, 'fact keys stored twice');
        const inboxMissing = hashes.filter((h) => !final.inbox.has(h)).length;
        tally.add('lost', inboxMissing, 'bodies missing from the inbox');
        service = await startService(target);
        const answers = await compareAnswers(service.url, reference, comparedInstants(reference));
        await service.stop();
        tally.add(
          'violations',
          answers.differing,
          `GET bodies that differ from a clean replay: ${answers.examples.join(' | ')}`,
        );
        tally.note({
          webhooks: corpus.length,
          acknowledged: acked.size,
          killsUnderLoad,
          facts: final.facts.size,
          answersCompared: answers.compared,
        });
      } finally {
        if (service !== undefined) await kill(service);
        rmSync(dir, { recursive: true, force: true });
      }
      return tally.report();
    },
  };
}

export const crashServePglite = crashServe('pglite');
export const crashServePostgres = crashServe('postgres');
