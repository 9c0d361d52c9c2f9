import {
  compareFacts,
  defaultPolicyBook,
  Engine,
  type Fact,
  fold,
  initialPairState,
  type PairFact,
  pairStreamId,
  policyFor,
} from '@callpermit/core';
import { factsFor, T0, uniquePair } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import {
  bodyHash,
  encodeBody,
  type InboxCounts,
  type InboxDelivery,
  type InboxOutcome,
  type SqlStore,
} from '../index.js';

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function delta(after: InboxCounts, before: InboxCounts): InboxCounts {
  return {
    applied: after.applied - before.applied,
    duplicate: after.duplicate - before.duplicate,
    ignored: after.ignored - before.ignored,
    rejected: after.rejected - before.rejected,
    repeated: after.repeated - before.repeated,
  };
}

function parseFact(body: string): Fact | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    return typeof value === 'object' && value !== null && 'key' in value && 'type' in value
      ? (value as Fact)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A capture line as the tests write them: one fact as JSON. */
function line(fact: Fact, n: number, file = 'capture.ndjson'): InboxDelivery {
  return { body: JSON.stringify(fact), source: { file, line: n }, outcome: 'applied' };
}

/**
 * What the SQL store adds to the port: the inbox, units of work over facts and inbox, and rebuild. Shares
 * `store()` with other suites, so it measures changes and uses its own pairs.
 */
export function sqlStoreSuite(name: string, store: () => SqlStore): void {
  describe(`SqlStore: ${name}`, () => {
    describe('inbox', () => {
      it('keeps each body verbatim once, with its source, outcome and delivery count, in arrival order', async () => {
        const inbox = store().inbox;
        const before = await inbox.counts();
        const tag = uniquePair().business;
        const bodies = [
          `{"object":"whatsapp_business_account","tag":"${tag}","entry":[]}`,
          `  {"tag":"${tag}",  "spaces and a tab\t" : "é ü 📞" }\r`,
          `not json at all ${tag}\u0000 with a NUL`,
        ];
        const receipts = await inbox.record([
          { body: bodies[0] as string, source: { file: 'a.ndjson', line: 1 }, outcome: 'applied' },
          { body: bodies[1] as string, source: { file: 'a.ndjson', line: 2 }, outcome: 'ignored' },
          { body: bodies[0] as string, source: { file: 'a.ndjson', line: 3 }, outcome: 'duplicate' },
          {
            body: bodies[2] as string,
            source: { file: 'a.ndjson', line: 4 },
            outcome: 'rejected',
            reason: 'a.ndjson:4: not JSON',
          },
        ]);
        expect(receipts.map((r) => [r.deliveries, r.repeated])).toEqual([
          [1, false],
          [1, false],
          [2, true],
          [1, false],
        ]);
        expect(receipts[2]?.id).toBe(receipts[0]?.id);
        const again = await inbox.record([
          { body: bodies[0] as string, source: { file: 'webhook' }, outcome: 'duplicate' },
        ]);
        expect(again).toEqual([
          { id: receipts[0]?.id, hash: receipts[0]?.hash, deliveries: 3, repeated: true },
        ]);

        const ours = (await all(inbox.iterate({ pageSize: 2 }))).filter((e) => e.body.includes(tag));
        expect(ours.map((e) => e.body)).toEqual(bodies);
        expect(ours.map((e) => [e.source, e.outcome, e.reason, e.deliveries])).toEqual([
          [{ file: 'a.ndjson', line: 1 }, 'applied', null, 3],
          [{ file: 'a.ndjson', line: 2 }, 'ignored', null, 1],
          [{ file: 'a.ndjson', line: 4 }, 'rejected', 'a.ndjson:4: not JSON', 1],
        ]);
        expect(ours[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(Date.parse(ours[0]?.lastReceivedAt ?? '')).toBeGreaterThanOrEqual(
          Date.parse(ours[0]?.receivedAt ?? ''),
        );
        expect(delta(await inbox.counts(), before)).toEqual({
          applied: 1,
          duplicate: 0,
          ignored: 1,
          rejected: 1,
          repeated: 2,
        });
      });

      it('reads only the bodies with an outcome that contain every string asked for, across pages', async () => {
        const inbox = store().inbox;
        const tag = uniquePair().business;
        const bodies = [
          `{"kind":"api_call","tag":"${tag}","note":"📞 ü"}`,
          `{"kind":"api_call","tag":"${tag}"}`,
          `{"kind":"webhook","tag":"${tag}"}`,
          `{"kind":"api_call","tag":"other"}`,
          `{"kind":"api_call","note":"📞","tag":"${tag}"}`,
        ];
        await inbox.record(
          bodies.map((body, i) => ({
            body,
            source: { file: 'q.ndjson', line: i + 1 },
            outcome: i === 1 ? ('applied' as const) : ('ignored' as const),
          })),
        );
        const read = async (query: Parameters<typeof inbox.iterate>[0]) =>
          (await all(inbox.iterate(query))).map((e) => e.source.line);
        expect(await read({ pageSize: 1, outcome: 'ignored', containing: ['api_call', tag] })).toEqual([
          1, 5,
        ]);
        expect(await read({ outcome: 'ignored', containing: [tag, '📞'] })).toEqual([1, 5]);
        expect(await read({ containing: ['api_call', tag] })).toEqual([1, 2, 5]);
        expect(await read({ outcome: 'rejected', containing: [tag] })).toEqual([]);
      });

      it('a body encoded ahead of time is stored as the same text, under the same hash', async () => {
        const text = `{"kind":"webhook","note":"encoded ahead ${uniquePair().business} — ünïcode"}`;
        const [early] = await store().inbox.record([
          { body: encodeBody(text), source: { file: 'encoded.ndjson', line: 1 }, outcome: 'ignored' },
        ]);
        expect(early).toMatchObject({ hash: bodyHash(text), deliveries: 1, repeated: false });
        const [again] = await store().inbox.record([
          { body: text, source: { file: 'plain.ndjson', line: 1 }, outcome: 'ignored' },
        ]);
        expect(again).toMatchObject({ id: early?.id, deliveries: 2, repeated: true });
        const entries = await all(store().inbox.iterate());
        expect(entries.find((e) => e.id === early?.id)?.body).toBe(text);
        await expect(
          store().inbox.record([
            {
              body: { text, hash: 'forged', members: '' } as never,
              source: { file: 'f' },
              outcome: 'ignored',
            },
          ]),
        ).rejects.toThrow('inbox item 1: body must be a string (or one made by encodeBody)');
      });

      it('refuses a malformed delivery with the item and field, and stores none of the batch', async () => {
        const inbox = store().inbox;
        const before = await inbox.counts();
        const ok: InboxDelivery = {
          body: `{"ok":"${uniquePair().business}"}`,
          source: { file: 'x' },
          outcome: 'applied',
        };
        await expect(
          inbox.record([ok, { body: '{}', source: { file: 'x', line: 2 }, outcome: 'rejected' }]),
        ).rejects.toThrow('inbox item 2: a rejected body needs a reason');
        await expect(
          inbox.record([ok, { body: '{}', source: { file: 'x', line: 0 }, outcome: 'applied' }]),
        ).rejects.toThrow('inbox item 2: source.line must be a positive integer, got 0');
        await expect(
          inbox.record([{ body: '{}', source: { file: '' }, outcome: 'applied' }]),
        ).rejects.toThrow('inbox item 1: source.file');
        await expect(
          inbox.record([{ body: '{}', source: { file: 'x' }, outcome: 'maybe' as 'applied' }]),
        ).rejects.toThrow(
          'inbox item 1: outcome must be one of applied, duplicate, ignored, rejected, got maybe',
        );
        expect(await inbox.counts()).toEqual(before);
      });
    });

    describe('units of work', () => {
      it('atomically stores the facts an Engine commits and the inbox lines together, or neither', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const facts = [f.requestSent(T0, `${pair.business}.r1`), f.userMessaged(T0 + 5, 'm1')];
        const before = await store().inbox.counts();

        await expect(
          store().atomically(async (txFacts, inbox) => {
            await new Engine(txFacts).ingest(facts);
            await inbox.record(facts.map((x, i) => line(x, i + 1)));
            throw new Error('the capture file ended mid-line');
          }),
        ).rejects.toThrow('the capture file ended mid-line');
        expect(await store().knownKeys(facts.map((x) => x.key))).toEqual(new Set());
        expect(await store().inbox.counts()).toEqual(before);

        const result = await store().atomically(async (txFacts, inbox) => {
          const ingested = await new Engine(txFacts).ingest(facts);
          await inbox.record(facts.map((x, i) => line(x, i + 1)));
          return ingested;
        });
        expect(result).toEqual({ applied: 2, duplicates: 0, rejected: [], conflicts: [], known: new Set() });
        expect(await store().knownKeys(facts.map((x) => x.key))).toEqual(new Set(facts.map((x) => x.key)));
        expect(delta(await store().inbox.counts(), before).applied).toBe(2);
      });

      it('a statement sent after one that failed fails with that first reason, not "current transaction is aborted"', async () => {
        const before = await store().inbox.counts();
        const error = await store()
          .atomically(async (_facts, inbox, settings) => {
            // PostgreSQL's jsonb cannot hold U+0000: the first statement fails (22P05); the second was sent
            // behind it without waiting, as a replay sends its inbox lines while the engine folds.
            const failing = settings.put('callpermit:nul', 'a\u0000b');
            const after = inbox.record([{ body: 'sent behind', source: { file: 'x' }, outcome: 'ignored' }]);
            await failing.catch(() => {});
            return after;
          })
          .then(
            () => undefined,
            (e: unknown) => e as { code?: string },
          );
        expect(error?.code).toBe('22P05');
        expect(await store().inbox.counts()).toEqual(before);
      });

      it('a head written by a unit of work that rolled back is never mistaken for a stored one', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const engine = new Engine(store());
        const first = f.requestSent(T0, `${pair.business}.r1`);
        await engine.ingest([first]);
        // The engine caches the head its transaction wrote; the transaction then rolls back.
        await expect(
          store().atomically(async (txFacts) => {
            await engine.withStore(txFacts).ingest([f.callConnected(T0 + 10, `${pair.business}.c1`)]);
            throw new Error('the batch failed after the commit');
          }),
        ).rejects.toThrow('the batch failed after the commit');
        // Another process moves the same stream to the same version with another fact.
        await new Engine(store()).ingest([f.userMessaged(T0 + 20, `${pair.business}.m1`)]);
        const uncached = await new Engine(store(), { headCacheSize: 0 }).state(pair, T0 + 30);
        expect(uncached.factCount).toBe(2);
        expect(await engine.state(pair, T0 + 30)).toEqual(uncached);
      });

      it('rebuild re-derives the log from the inbox through an unchanged Engine, all or nothing', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const captured = [
          f.requestSent(T0, `${pair.business}.r1`),
          f.requestDelivered(T0 + 5, `${pair.business}.r1`),
          f.granted(T0 + 60, { requestId: `${pair.business}.r1` }),
          f.callConnected(T0 + 120, `${pair.business}.c1`),
        ];
        // A fact in the log that no inbox body carries (e.g. derived by an older parser): rebuild drops it.
        const stray = f.revoked(T0 + 90);
        await new Engine(store()).ingest([...captured, stray]);
        await store().inbox.record(captured.map((x, i) => line(x, i + 1, `rebuild-${pair.business}.ndjson`)));
        const logBefore = await store().readAll(0, 1_000_000);

        // A failing rebuild leaves the old log exactly as it was.
        await expect(
          store().rebuild(async (fresh) => {
            expect(await fresh.streams()).toEqual([]);
            await new Engine(fresh).ingest(captured.slice(0, 2));
            throw new Error('a line could not be parsed');
          }),
        ).rejects.toThrow('a line could not be parsed');
        expect(await store().readAll(0, 1_000_000)).toEqual(logBefore);
        expect(await store().knownKeys([stray.key])).toEqual(new Set([stray.key]));

        const result = await store().rebuild(async (fresh, inbox) => {
          const engine = new Engine(fresh, { checkpointEvery: 2 });
          const updates: { id: number; outcome: InboxOutcome; reason?: string }[] = [];
          let applied = 0;
          // Bodies in arrival order, in batches, as the CLI would replay a capture; other tests' bodies
          // that are not facts are classified again as what they are.
          let batch: { id: number; fact: Fact }[] = [];
          const flush = async () => {
            const r = await engine.ingest(batch.map((b) => b.fact));
            applied += r.applied;
            updates.push(...batch.map((b) => ({ id: b.id, outcome: 'applied' as const })));
            batch = [];
          };
          for await (const entry of inbox.iterate({ pageSize: 3 })) {
            const fact = parseFact(entry.body);
            if (fact) batch.push({ id: entry.id, fact });
            else updates.push({ id: entry.id, outcome: 'rejected', reason: 'not a fact' });
            if (batch.length === 2) await flush();
          }
          await flush();
          await inbox.reclassify(updates);
          return applied;
        });
        expect(result).toBeGreaterThanOrEqual(captured.length);
        expect(await store().knownKeys([stray.key])).toEqual(new Set());
        expect(await store().factsOf(stream)).toEqual([...captured].sort(compareFacts));
        const env = { policyAt: policyFor(defaultPolicyBook, pair.business), callbackEnabledAt: () => false };
        expect((await store().heads([stream])).get(stream)).toEqual({
          stream,
          version: captured.length,
          state: fold(initialPairState(pair.business, pair.user), captured as PairFact[], env),
          staleFrom: null,
          revision: expect.any(Number),
          changesUntil: null,
          nextChangeAt: null,
        });
        // The Engine keeps working on the rebuilt log.
        const decision = await new Engine(store()).execute(
          { type: 'StartCall', pair, callId: `${pair.business}.c2` },
          T0 + 200,
        );
        expect(decision).toMatchObject({ ok: true });
      });
    });
  });
}
