// The change feed's part of the FactStore contract: the outbox, the heads' feed columns and the due index,
// first through the port, then through an Engine with the feed on. Runs on every store (memory, PGlite,
// PostgreSQL) inside `factStoreContract`, over its shared store.
import {
  businessRuleEnv,
  changesBetween,
  defaultPolicyBook,
  Engine,
  type Fact,
  type FactStore,
  fold,
  initialPairState,
  isBusinessFact,
  type Pair,
  type PairChange,
  type PairFact,
  type PolicyBook,
  pairStreamId,
  policyBook,
  policyFor,
  type StoredChange,
  type StreamCommit,
  standing,
} from '@callpermit/core';
import { DAY, T0, WEEK } from '@callpermit/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batches, historyFacts, historySteps } from './arbitraries.js';
import { callbackChanged, factsFor, neighbourPairs, uniquePair } from './facts.js';

/** Every outbox row, in pages of `page`. */
async function wholeOutbox(
  store: FactStore,
  businesses?: readonly string[],
  page = 7,
): Promise<StoredChange[]> {
  const out: StoredChange[] = [];
  for (;;) {
    const next = await store.readChanges(out.at(-1)?.seq ?? 0, page, businesses);
    out.push(...next);
    if (next.length < page) return out;
  }
}

/** A change for the port tests: what core would make, with an id of the test's choosing. */
function aChange(pair: Pair, id: string, at: number): PairChange {
  return {
    id,
    kind: 'customer_service_window.opened',
    at,
    business: pair.business,
    user: pair.user,
    cause: { kind: 'time' },
    data: { open: true, until: at + DAY },
  };
}

/** What the outbox stands by for a pair, without ids (a change told again has a new one), in a fixed order. */
function said(changes: readonly PairChange[]): string[] {
  return changes.map(({ id: _, ...rest }) => JSON.stringify(rest)).sort();
}

export function changeFeedContract(store: () => FactStore): void {
  describe('the change feed', () => {
    const commitWith = (pair: Pair, expectedVersion: number, extra: Partial<StreamCommit>): StreamCommit => {
      const facts = [
        factsFor(pair).userMessaged(
          T0 + expectedVersion,
          `m${expectedVersion}`,
          `${pairStreamId(pair)}:m${expectedVersion}`,
        ),
      ];
      return {
        stream: pairStreamId(pair),
        expectedVersion,
        facts,
        state: fold(initialPairState(pair.business, pair.user), facts, {
          policyAt: policyFor(defaultPolicyBook, pair.business),
          callbackEnabledAt: () => false,
        }),
        checkpoints: [],
        ...extra,
      };
    };

    it('a commit writes its changes to the outbox in order with rising sequence numbers; an id held already is not stored again', async () => {
      const [a, b] = [uniquePair(), uniquePair()];
      const s = store();
      await s.commit([
        commitWith(a, 0, {
          changes: [aChange(a, `${a.business}-1`, T0), aChange(a, `${a.business}-2`, T0 + 1)],
        }),
        commitWith(b, 0, { changes: [aChange(b, `${b.business}-1`, T0)] }),
      ]);
      await s.commit([
        commitWith(a, 1, {
          changes: [aChange(a, `${a.business}-2`, T0 + 1), aChange(a, `${a.business}-3`, T0 + 2)],
        }),
      ]);
      const mine = await wholeOutbox(s, [a.business, b.business]);
      expect(mine.map((c) => c.id)).toEqual([
        `${a.business}-1`,
        `${a.business}-2`,
        `${b.business}-1`,
        `${a.business}-3`,
      ]);
      for (let i = 1; i < mine.length; i++)
        expect((mine[i] as StoredChange).seq).toBeGreaterThan((mine[i - 1] as StoredChange).seq);
      expect(mine[0]).toEqual({ ...aChange(a, `${a.business}-1`, T0), seq: expect.any(Number) });
      expect(Number.isSafeInteger(mine[0]?.seq)).toBe(true);
      // A business filter sees its own; the unfiltered log holds them all, in the same order.
      expect((await wholeOutbox(s, [b.business])).map((c) => c.id)).toEqual([`${b.business}-1`]);
      const all = (await wholeOutbox(s, undefined, 1000)).filter(
        (c) => c.business === a.business || c.business === b.business,
      );
      expect(all).toEqual(mine);
      // changesOf: a stream's rows from an instant on (all of them for null), in seq order.
      const of = await s.changesOf([
        { stream: pairStreamId(a), from: T0 + 1 },
        { stream: pairStreamId(b), from: null },
        { stream: pairStreamId(uniquePair()), from: null },
      ]);
      expect(of.get(pairStreamId(a))?.map((c) => c.id)).toEqual([`${a.business}-2`, `${a.business}-3`]);
      expect(of.get(pairStreamId(b))?.map((c) => c.id)).toEqual([`${b.business}-1`]);
    });

    it('dueStreams: heads whose next change is due, earliest first, limited; a commit moves a head on, one without the feed clears it', async () => {
      const [a, b, c] = [uniquePair(), uniquePair(), uniquePair()];
      const s = store();
      // Instants before any other test's, so these come first among the due heads of the shared store.
      const base = 1_000_000_000;
      await s.commit([
        commitWith(a, 0, { changesUntil: base, nextChangeAt: base + 20 }),
        commitWith(b, 0, { changesUntil: base, nextChangeAt: base + 10 }),
        commitWith(c, 0, { changesUntil: base, nextChangeAt: null }),
      ]);
      const head = (await s.heads([pairStreamId(a)])).get(pairStreamId(a));
      expect(head).toMatchObject({ changesUntil: base, nextChangeAt: base + 20 });
      expect(await s.dueStreams(base + 9, 10)).toEqual([]);
      expect(await s.dueStreams(base + 20, 10)).toEqual([pairStreamId(b), pairStreamId(a)]);
      expect(await s.dueStreams(base + 20, 1)).toEqual([pairStreamId(b)]);
      await s.commit([commitWith(b, 1, { changesUntil: base + 10, nextChangeAt: base + 30 })]);
      expect(await s.dueStreams(base + 20, 10)).toEqual([pairStreamId(a)]);
      await s.commit([commitWith(a, 1, {})]);
      expect(await s.dueStreams(base + 100, 10)).toEqual([pairStreamId(b)]);
      expect((await s.heads([pairStreamId(a)])).get(pairStreamId(a))).toMatchObject({
        changesUntil: null,
        nextChangeAt: null,
      });
      await s.commit([commitWith(b, 2, { changesUntil: base + 40, nextChangeAt: null })]);
    });

    it('a commit that keeps the state moves the feed columns and the revision, and leaves the state as stored', async () => {
      const pair = uniquePair();
      const s = store();
      const first = commitWith(pair, 0, { changesUntil: T0, nextChangeAt: T0 + DAY });
      const written = (await s.commit([first])).get(pairStreamId(pair));
      const kept = (
        await s.commit([
          {
            stream: pairStreamId(pair),
            expectedVersion: 1,
            expectedRevision: written?.revision as number,
            facts: [],
            state: first.state,
            checkpoints: [],
            keepState: true,
            changes: [aChange(pair, `${pair.business}-kept`, T0 + DAY)],
            changesUntil: T0 + DAY,
            nextChangeAt: null,
          },
        ])
      ).get(pairStreamId(pair));
      const read = (await s.heads([pairStreamId(pair)])).get(pairStreamId(pair));
      expect(read).toEqual(kept);
      expect(read).toMatchObject({
        version: 1,
        state: first.state,
        changesUntil: T0 + DAY,
        nextChangeAt: null,
      });
      expect(read?.revision).not.toBe(written?.revision);
    });

    it('an invalidation makes a head the feed follows due at its stale instant; one it does not follow stays as it was', async () => {
      const [followed, other] = neighbourPairs();
      const s = store();
      await s.commit([
        commitWith(followed, 0, { changesUntil: T0 + 500, nextChangeAt: T0 + 5 * DAY }),
        commitWith(other, 0, {}),
      ]);
      await s.commit([], [{ business: followed.business, from: T0 - 10 }]);
      const heads = await s.heads([pairStreamId(followed), pairStreamId(other)]);
      expect(heads.get(pairStreamId(followed))).toMatchObject({ staleFrom: T0 - 10, nextChangeAt: T0 - 10 });
      expect(heads.get(pairStreamId(other))).toMatchObject({ staleFrom: T0 - 10, nextChangeAt: null });
      const due = await s.dueStreams(T0 - 10, 100_000);
      expect(due).toContain(pairStreamId(followed));
      expect(due).not.toContain(pairStreamId(other));
    });

    describe('through the Engine', () => {
      it('whatever the arrival order, batches, late facts, business settings and materialisation, the outbox stands by exactly the changes of the history', async () => {
        await fc.assert(
          fc.asyncProperty(
            historySteps({ days: 12, maxFacts: 20 }),
            fc.array(fc.nat(), { minLength: 22, maxLength: 22 }),
            fc.array(fc.nat(), { maxLength: 4 }),
            fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
            fc.array(fc.constantFrom(0, 3600, 2 * DAY), { minLength: 5, maxLength: 5 }),
            async (steps, order, cuts, callbacks, lags) => {
              const pair = uniquePair();
              const facts: Fact[] = [
                ...historyFacts(pair, steps),
                ...callbacks.map((on, i) =>
                  callbackChanged(pair.business, T0 + (i + 1) * 3 * DAY + 1800, on),
                ),
              ];
              const arrival = facts
                .map((fact, i) => ({ fact, rank: order[i] ?? 0 }))
                .sort((x, y) => x.rank - y.rank)
                .map((x) => x.fact);
              const engine = new Engine(store(), { checkpointEvery: 3, changeFeed: true });
              // Time passes as the facts arrive: the materialiser runs after each batch, at its latest instant or
              // later (so a fact may come after the pair's last one and before what was told). Business facts
              // come on their own, so they mark the pair stale rather than re-fold it in the same commit.
              let now = T0;
              for (const [i, batch] of batches(arrival, cuts).entries()) {
                await engine.ingest(batch.filter((f) => !isBusinessFact(f)));
                await engine.ingest(batch.filter(isBusinessFact));
                now = Math.max(now, ...batch.map((f) => f.at + (lags[i] ?? 0)));
                await engine.materialise(now);
              }
              const end = T0 + 30 * DAY;
              await engine.materialise(end);
              const told = (await store().changesOf([{ stream: pairStreamId(pair), from: null }])).get(
                pairStreamId(pair),
              ) as PairChange[];
              const env = businessRuleEnv(defaultPolicyBook, pair.business, facts.filter(isBusinessFact));
              const pairFacts = facts.filter((f) => !isBusinessFact(f)) as PairFact[];
              expect(said(standing(told))).toEqual(said(changesBetween(pair, pairFacts, end, env)));
              expect(new Set(told.map((c) => c.id)).size).toBe(told.length);
              // Told through the last instant anything was due; nothing more is due before the end.
              const head = (await store().heads([pairStreamId(pair)])).get(pairStreamId(pair));
              expect(head?.changesUntil).toBeLessThanOrEqual(end);
              expect(head?.nextChangeAt === null || (head?.nextChangeAt as number) > end).toBe(true);
            },
          ),
          { numRuns: 40, seed: 20260113 },
        );
      });

      it('facts in order tell each change once, with the ids core gives: a replay emits the same ids', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const facts = [
          f.requestSent(T0, 'r1'),
          f.requestDelivered(T0 + 5, 'r1'),
          f.granted(T0 + 60, { requestId: 'r1' }),
        ];
        const engine = new Engine(store(), { changeFeed: true });
        for (const fact of facts) await engine.ingest([fact]);
        await engine.materialise(T0 + 2 * WEEK);
        const told = (await store().changesOf([{ stream: pairStreamId(pair), from: null }])).get(
          pairStreamId(pair),
        );
        const env = businessRuleEnv(defaultPolicyBook, pair.business);
        expect(told).toEqual(changesBetween(pair, facts, T0 + 2 * WEEK, env));
        expect(told?.map((c) => c.kind)).toContain('permission.expired');
      });

      it('late facts of several pairs in one ingest read what the outbox told in one go, each pair its own', async () => {
        const pairs = [uniquePair(), uniquePair(), uniquePair()];
        const builders = pairs.map((p) => factsFor(p));
        const base = store();
        let reads = 0;
        // The same store, counting the engine's reads of the outbox.
        const counted = new Proxy(base, {
          get(target, name) {
            const value = Reflect.get(target, name, target);
            if (name === 'changesOf') reads++;
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        const engine = new Engine(counted, { changeFeed: true });
        await engine.ingest(builders.map((f) => f.granted(T0)));
        await engine.materialise(T0 + 8 * DAY);
        reads = 0;
        await engine.ingest(builders.map((f) => f.granted(T0 + 3 * DAY)));
        expect(reads).toBe(1);
        for (const pair of pairs) {
          const stream = pairStreamId(pair);
          const told = (await base.changesOf([{ stream, from: null }])).get(stream) as PairChange[];
          expect(told.map((c) => [c.kind, c.at])).toEqual([
            ['permission.granted', T0],
            ['permission.expired', T0 + WEEK],
            ['change.retracted', T0 + WEEK],
            ['permission.granted', T0 + 3 * DAY],
          ]);
          expect(told[2]?.subject).toBe(told[1]?.id);
        }
      });

      it('a late fact before what was told: the change no longer true is retracted, the new ones told', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const engine = new Engine(store(), { changeFeed: true });
        await engine.ingest([f.granted(T0)]);
        await engine.materialise(T0 + 8 * DAY);
        const stream = pairStreamId(pair);
        const before = (await store().changesOf([{ stream, from: null }])).get(stream) as PairChange[];
        expect(before.map((c) => [c.kind, c.at])).toEqual([
          ['permission.granted', T0],
          ['permission.expired', T0 + WEEK],
        ]);
        // Meta's late webhook: the user granted again on day 3 (a new 7 days).
        const late = f.granted(T0 + 3 * DAY);
        await engine.ingest([late]);
        const after = (await store().changesOf([{ stream, from: null }])).get(stream) as PairChange[];
        expect(after.slice(2).map((c) => [c.kind, c.at, c.subject])).toEqual([
          ['change.retracted', T0 + WEEK, before[1]?.id],
          ['permission.granted', T0 + 3 * DAY, undefined],
        ]);
        expect(after[2]?.cause).toEqual({ kind: 'fact', type: 'PermissionGranted', key: late.key });
        // The new expiry is told when its instant passes.
        await engine.materialise(T0 + 11 * DAY);
        const last = (await store().changesOf([{ stream, from: T0 + 10 * DAY }])).get(stream);
        expect(last?.map((c) => [c.kind, c.at, c.cause.kind])).toEqual([
          ['permission.expired', T0 + 10 * DAY, 'time'],
        ]);
      });

      it('a replay under another policy tells what changed as corrections', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const facts = [f.granted(T0)];
        await new Engine(store(), { changeFeed: true }).ingest(facts);
        const shorter: PolicyBook = policyBook({ temporaryGrantSeconds: 3 * DAY });
        const engine = new Engine(store(), { changeFeed: true, policy: shorter });
        await engine.replay();
        await engine.materialise(T0 + 4 * DAY);
        const stream = pairStreamId(pair);
        const told = (await store().changesOf([{ stream, from: null }])).get(stream) as PairChange[];
        const env = businessRuleEnv(shorter, pair.business);
        expect(said(standing(told))).toEqual(said(changesBetween(pair, facts, T0 + 4 * DAY, env)));
        expect(told.map((c) => c.kind)).toEqual([
          'permission.granted',
          'change.retracted',
          'permission.granted',
          'permission.expired',
        ]);
      });
    });
  });
}
