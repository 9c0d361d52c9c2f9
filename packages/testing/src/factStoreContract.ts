import {
  type BusinessInvalidation,
  businessStreamId,
  type Checkpoint,
  ConcurrencyError,
  compareFacts,
  comparePositions,
  DuplicateFactError,
  defaultPolicyBook,
  Engine,
  type Fact,
  type FactStore,
  type FoldPosition,
  fold,
  type Instant,
  initialPairState,
  type Pair,
  type PairFact,
  type PairState,
  type PolicyBook,
  pairStreamId,
  policyBook,
  policyFor,
  positionOf,
  type RecordedFact,
  type RuleEnv,
  type StoredHead,
  type StreamCommit,
} from '@callpermit/core';
import { DAY, T0 } from '@callpermit/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batches, historyFacts, historySteps } from './arbitraries.js';
import { callbackChanged, factsFor, neighbourPairs, uniqueBusiness, uniquePair } from './facts.js';

/** The rules' environment of a business with no business facts: default policy, callback off. */
function plainEnv(business: string, book: PolicyBook = defaultPolicyBook): RuleEnv {
  return { policyAt: policyFor(book, business), callbackEnabledAt: () => false };
}

/** A fresh fold of `facts` (any order): the reference every stored or re-folded state must equal. */
function freshFold(
  pair: Pair,
  facts: readonly PairFact[],
  env: RuleEnv = plainEnv(pair.business),
): PairState {
  return fold(initialPairState(pair.business, pair.user), facts, env);
}

function upTo(facts: readonly PairFact[], at: Instant): PairFact[] {
  return facts.filter((f) => f.at <= at);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** Every fact of the log, read in pages of `page`. */
async function wholeLog(store: FactStore, page = 97): Promise<RecordedFact[]> {
  const out: RecordedFact[] = [];
  for (;;) {
    const next = await store.readAll(out.at(-1)?.position ?? 0, page);
    out.push(...next);
    if (next.length < page) return out;
  }
}

/**
 * The FactStore contract: what every store (memory, PGlite, PostgreSQL) must do, first through the port and
 * then through the Engine over it. `open` is called once per suite: tests share the store and keep apart by
 * using their own businesses (see `uniqueBusiness`). `cleanup` defaults to `store.close()`.
 */
export function factStoreContract(
  name: string,
  open: () => Promise<FactStore>,
  cleanup?: (store: FactStore) => Promise<void>,
): void {
  describe(`FactStore contract: ${name}`, () => {
    let store: FactStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      if (store) await (cleanup ? cleanup(store) : store.close());
    });

    /** A commit of pair facts with the state folded from `all` (the stream's facts so far). */
    function pairCommit(
      pair: Pair,
      expectedVersion: number,
      facts: readonly PairFact[],
      all: readonly PairFact[] = facts,
      extra: Partial<StreamCommit> = {},
    ): StreamCommit {
      return {
        stream: pairStreamId(pair),
        expectedVersion,
        facts,
        state: freshFold(pair, all),
        checkpoints: [],
        ...extra,
      };
    }

    describe('port', () => {
      it('a commit creates the stream: its head holds the version, the state and no staleness', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const facts = [f.requestSent(T0, 'r1'), f.requestDelivered(T0 + 5, 'r1')];
        const stream = pairStreamId(pair);
        expect((await store.heads([stream])).size).toBe(0);
        const written = await store.commit([pairCommit(pair, 0, facts)]);
        const head = (await store.heads([stream, pairStreamId(uniquePair())])).get(stream);
        expect(head).toEqual({
          stream,
          version: 2,
          state: freshFold(pair, facts),
          staleFrom: null,
          revision: expect.any(Number),
        });
        // The commit hands back the head it wrote: what a reader finds next.
        expect(written).toEqual(new Map([[stream, head]]));
        expect(await store.knownKeys([facts[0]?.key ?? '', 'no-such-key', facts[1]?.key ?? ''])).toEqual(
          new Set(facts.map((x) => x.key)),
        );
        expect(await store.streams()).toContain(stream);
      });

      it('the head is the committed snapshot itself, not a fold of the facts (an O(1) read)', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        let version = 0;
        const all: PairFact[] = [];
        for (let c = 0; c < 4; c++) {
          const facts = Array.from({ length: 50 }, (_, i) => f.userMessaged(T0 + c * 100 + i, `m${c}.${i}`));
          all.push(...facts);
          await store.commit([pairCommit(pair, version, facts, all)]);
          version += facts.length;
        }
        // A snapshot no fold of these facts gives: the store must hand back exactly what it was given.
        const marker: PairState = { ...freshFold(pair, all), factCount: 4242, unansweredStreak: 3 };
        await store.commit([{ stream, expectedVersion: 200, facts: [], state: marker, checkpoints: [] }]);
        expect((await store.heads([stream])).get(stream)).toMatchObject({ version: 200, state: marker });
      });

      it('every change of a head gives it a new revision; a cached head of the current revision comes back as is', async () => {
        const [pair, other] = neighbourPairs();
        const business = pair.business;
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const seen = new Set<number>();
        const revisionOf = (head: { revision: number } | undefined) => {
          expect(head).toBeDefined();
          const revision = head?.revision as number;
          expect(seen.has(revision), `revision ${revision} was given before`).toBe(false);
          seen.add(revision);
          return revision;
        };
        const first = [f.requestSent(T0, 'r1')];
        revisionOf((await store.commit([pairCommit(pair, 0, first)])).get(stream));
        const read = await store.heads([stream]);
        const held = read.get(stream);
        // Unchanged: the very object the caller holds (a store may skip reading its state).
        expect((await store.heads([stream], read)).get(stream)).toBe(held);

        // A new fact: new version, state and revision; the stale cached head is not handed back.
        const second = f.requestDelivered(T0 + 5, 'r1');
        await store.commit([pairCommit(pair, 1, [second], [...first, second])]);
        const moved = (await store.heads([stream], read)).get(stream);
        expect(moved).not.toBe(held);
        expect(moved).toMatchObject({ version: 2, state: freshFold(pair, [...first, second]) });
        revisionOf(moved);

        // A new state without a new fact (a re-fold): same version, new revision.
        const refolded: PairState = { ...freshFold(pair, [...first, second]), factCount: 99 };
        await store.commit([{ stream, expectedVersion: 2, facts: [], state: refolded, checkpoints: [] }]);
        const again = (await store.heads([stream], new Map([[stream, moved as StoredHead]]))).get(stream);
        expect(again).toMatchObject({ version: 2, state: refolded });
        revisionOf(again);

        // An invalidation from another stream's commit: new staleness, new revision.
        const otherFacts = [factsFor(other).userMessaged(T0 + 1, 'm1')];
        await store.commit([pairCommit(other, 0, otherFacts)], [{ business, from: T0 + 2 }]);
        const stale = (await store.heads([stream], new Map([[stream, again as StoredHead]]))).get(stream);
        expect(stale).toMatchObject({ version: 2, state: refolded, staleFrom: T0 + 2 });
        revisionOf(stale);
      });

      it('a commit decided on a head that changed since, at the same version, is a ConcurrencyError', async () => {
        const [pair, other] = neighbourPairs();
        const business = pair.business;
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const first = [f.requestSent(T0, 'r1'), f.requestDelivered(T0 + 5, 'r1')];
        const decidedOn = (await store.commit([pairCommit(pair, 0, first)])).get(stream) as StoredHead;
        // A business fact from before the pair's last fact marks the head stale: same version, new revision.
        await store.commit(
          [pairCommit(other, 0, [factsFor(other).userMessaged(T0 + 1, 'm1')])],
          [{ business, from: T0 + 2 }],
        );
        const late = f.granted(T0 + 60, { requestId: 'r1' });
        const error = await rejection(
          store.commit([
            {
              ...pairCommit(pair, 2, [late], [...first, late]),
              expectedRevision: decidedOn.revision,
            },
          ]),
        );
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ stream, expected: 2, actual: 2, headChanged: true });
        expect((error as Error).message).toMatch(/head changed since it was read/);
        expect(await store.knownKeys([late.key])).toEqual(new Set());
        expect((await store.heads([stream])).get(stream)).toMatchObject({ version: 2, staleFrom: T0 + 2 });
        // Decided on the head as it is now, the same commit goes through.
        const now = (await store.heads([stream])).get(stream) as StoredHead;
        await store.commit([
          { ...pairCommit(pair, 2, [late], [...first, late]), expectedRevision: now.revision },
        ]);
        expect((await store.heads([stream])).get(stream)).toMatchObject({ version: 3, staleFrom: null });
      });

      it('a commit made on another version is a ConcurrencyError and stores nothing', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const first = [f.requestSent(T0, 'r1'), f.requestDelivered(T0 + 5, 'r1')];
        await store.commit([pairCommit(pair, 0, first)]);
        for (const expected of [0, 1, 3]) {
          const late = f.granted(T0 + 60, { requestId: 'r1' });
          const error = await rejection(store.commit([pairCommit(pair, expected, [late], [...first, late])]));
          expect(error).toBeInstanceOf(ConcurrencyError);
          expect(error).toMatchObject({ stream, expected, actual: 2 });
          expect(await store.knownKeys([late.key])).toEqual(new Set());
        }
        expect((await store.heads([stream])).get(stream)).toMatchObject({
          version: 2,
          state: freshFold(pair, first),
        });
        expect(await store.factsOf(stream)).toEqual(first);
      });

      it('a key the log holds, in any stream or twice in one commit, is a DuplicateFactError', async () => {
        const a = uniquePair();
        const b = uniquePair();
        const fa = factsFor(a);
        const fb = factsFor(b);
        const held = fa.userMessaged(T0, 'm1');
        await store.commit([pairCommit(a, 0, [held])]);

        const fresh = fb.userMessaged(T0, 'm2');
        const copy = { ...fb.userMessaged(T0 + 1, 'm3'), key: held.key };
        const error = await rejection(store.commit([pairCommit(b, 0, [fresh, copy])]));
        expect(error).toBeInstanceOf(DuplicateFactError);
        expect(error).toMatchObject({ key: held.key });
        expect((await store.heads([pairStreamId(b)])).size).toBe(0);
        expect(await store.knownKeys([fresh.key])).toEqual(new Set());

        const twice = fb.userMessaged(T0 + 2, 'm4');
        const again = { ...fb.userMessaged(T0 + 3, 'm5'), key: twice.key };
        expect(await rejection(store.commit([pairCommit(b, 0, [twice, again])]))).toBeInstanceOf(
          DuplicateFactError,
        );
        expect(await store.knownKeys([twice.key])).toEqual(new Set());
      });

      it('a commit is atomic across streams: one stale stream stores none of the others', async () => {
        const a = uniquePair();
        const b = uniquePair();
        const fa = factsFor(a);
        const fb = factsFor(b);
        const bFirst = [fb.userMessaged(T0, 'm1')];
        await store.commit([pairCommit(b, 0, bFirst)]);
        const aFacts = [fa.userMessaged(T0, 'm1'), fa.userCalled(T0 + 9, 'c1')];
        const cp: Checkpoint = {
          position: positionOf(aFacts[0] as Fact),
          state: freshFold(a, aFacts.slice(0, 1)),
        };
        const bLate = fb.userMessaged(T0 + 10, 'm2');
        const error = await rejection(
          store.commit([
            pairCommit(a, 0, aFacts, aFacts, { checkpoints: [cp] }),
            pairCommit(b, 0, [bLate], [...bFirst, bLate]),
          ]),
        );
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect((await store.heads([pairStreamId(a)])).size).toBe(0);
        expect(await store.knownKeys(aFacts.map((x) => x.key))).toEqual(new Set());
        expect(
          await store.checkpointBefore(pairStreamId(a), { at: T0 + DAY, rank: 0, key: '' }),
        ).toBeUndefined();

        await store.commit([
          pairCommit(a, 0, aFacts, aFacts, { checkpoints: [cp] }),
          pairCommit(b, 1, [bLate], [...bFirst, bLate]),
        ]);
        const heads = await store.heads([pairStreamId(a), pairStreamId(b)]);
        expect([heads.get(pairStreamId(a))?.version, heads.get(pairStreamId(b))?.version]).toEqual([2, 2]);
        expect(await store.checkpointBefore(pairStreamId(a), { at: T0 + DAY, rank: 0, key: '' })).toEqual(cp);
      });

      it('factsOf returns fact order (instant, rank, key) whatever the arrival order; after and until bound it', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const p = `${stream}:`;
        // Same instant, several ranks; same instant and rank, keys that sort differently by code point
        // ('B' < '_' < 'a') than by most locales ('_' < 'a' < 'B').
        const facts: PairFact[] = [
          f.granted(T0 + 100, { key: `${p}grant` }),
          f.userMessaged(T0 + 100, 'x', `${p}a`),
          f.userMessaged(T0 + 100, 'y', `${p}B`),
          f.userMessaged(T0 + 100, 'z', `${p}_`),
          f.requestSent(T0 + 100, 'r1', `${p}send`),
          f.requestDelivered(T0 + 50, 'r1', `${p}early`),
          f.callUnanswered(T0 + 200, 'c1', `${p}late`),
          f.revoked(T0 + 100, `${p}revoke`),
        ];
        const arrival = [facts.slice(5, 8), facts.slice(0, 2), facts.slice(2, 5)];
        let version = 0;
        const seen: PairFact[] = [];
        for (const batch of arrival) {
          seen.push(...batch);
          await store.commit([pairCommit(pair, version, batch, seen)]);
          version += batch.length;
        }
        const ordered = [...facts].sort(compareFacts);
        expect((await store.factsOf(stream)).map((x) => x.key)).toEqual(ordered.map((x) => x.key));
        expect(ordered.map((x) => x.key.slice(p.length))).toEqual([
          'early',
          'send',
          'B',
          '_',
          'a',
          'grant',
          'revoke',
          'late',
        ]);
        expect(await store.factsOf(stream)).toEqual(ordered);

        for (let i = 0; i < ordered.length; i++) {
          const after = positionOf(ordered[i] as Fact);
          expect(await store.factsOf(stream, { after })).toEqual(ordered.slice(i + 1));
        }
        const between: FoldPosition = { at: T0 + 100, rank: 5, key: `${p}C` };
        expect(await store.factsOf(stream, { after: between })).toEqual(
          ordered.filter((x) => comparePositions(positionOf(x), between) > 0),
        );
        expect(await store.factsOf(stream, { until: T0 + 99 })).toEqual(ordered.slice(0, 1));
        expect(await store.factsOf(stream, { until: T0 + 100 })).toEqual(ordered.slice(0, 7));
        expect(
          await store.factsOf(stream, { after: positionOf(ordered[1] as Fact), until: T0 + 100 }),
        ).toEqual(ordered.slice(2, 7));
        expect(await store.factsOf(`${stream}-none`)).toEqual([]);
      });

      it('checkpointBefore is the latest checkpoint strictly before a position in fact order', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const p = `${stream}:`;
        const facts = [
          f.userMessaged(T0, 'm', `${p}a`),
          f.userMessaged(T0 + 10, 'm', `${p}b`),
          f.userMessaged(T0 + 10, 'm', `${p}c`),
          f.granted(T0 + 10, { key: `${p}a2` }),
        ];
        const cps: Checkpoint[] = facts.map((x, i) => ({
          position: positionOf(x),
          state: freshFold(pair, facts.slice(0, i + 1)),
        }));
        await store.commit([
          pairCommit(pair, 0, facts, facts, {
            checkpoints: [cps[2], cps[0], cps[3], cps[1]] as Checkpoint[],
          }),
        ]);
        expect(await store.checkpointBefore(stream, cps[0]?.position as FoldPosition)).toBeUndefined();
        for (let i = 1; i < cps.length; i++) {
          expect(await store.checkpointBefore(stream, cps[i]?.position as FoldPosition)).toEqual(cps[i - 1]);
        }
        expect(await store.checkpointBefore(stream, { at: T0 + 10, rank: 99, key: '' })).toEqual(cps[3]);
        expect(await store.checkpointBefore(stream, { at: T0 + 10, rank: -1, key: '' })).toEqual(cps[0]);
        expect(await store.checkpointBefore(stream, { at: T0 + 10, rank: 5, key: `${p}bb` })).toEqual(cps[1]);
        expect(
          await store.checkpointBefore(`${stream}-none`, { at: T0 + DAY, rank: 0, key: '' }),
        ).toBeUndefined();
      });

      it('dropCheckpointsFrom drops checkpoints at or after a position before the new ones are added', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const facts = [0, 10, 20, 30].map((d) => f.userMessaged(T0 + d, `m${d}`));
        const cps: Checkpoint[] = facts.map((x, i) => ({
          position: positionOf(x),
          state: freshFold(pair, facts.slice(0, i + 1)),
        }));
        await store.commit([pairCommit(pair, 0, facts, facts, { checkpoints: cps })]);
        const late = f.revoked(T0 + 15);
        const all = [...facts, late];
        const refolded: Checkpoint = {
          position: positionOf(facts[2] as Fact),
          state: freshFold(pair, upTo(all, T0 + 20)),
        };
        await store.commit([
          pairCommit(pair, 4, [late], all, {
            checkpoints: [refolded],
            dropCheckpointsFrom: positionOf(late),
          }),
        ]);
        const end: FoldPosition = { at: T0 + DAY, rank: 0, key: '' };
        expect(await store.checkpointBefore(stream, end)).toEqual(refolded);
        expect(await store.checkpointBefore(stream, refolded.position)).toEqual(cps[1]);
      });

      it('an invalidation marks the pair states of the business that folded past it stale, and drops their checkpoints from then', async () => {
        const business = uniqueBusiness();
        const other = uniqueBusiness();
        const pair = (user: string, b = business): Pair => ({ business: b, user });
        const early = pair('1');
        const folded = pair('2');
        const edge = pair('3');
        const refolded = pair('4');
        const elsewhere = pair('2', other);
        const lastAt = { [pairStreamId(early)]: 100, [pairStreamId(edge)]: 200 };
        const streams = [early, folded, edge, refolded, elsewhere];
        for (const p of streams) {
          const f = factsFor(p);
          const last = lastAt[pairStreamId(p)] ?? 300;
          const facts = [
            f.userMessaged(T0 + 10, 'm'),
            f.userMessaged(T0 + 150, 'm'),
            f.userMessaged(T0 + last, 'm'),
          ].filter((x) => x.at <= T0 + last);
          const checkpoints = facts.map((x, i) => ({
            position: positionOf(x),
            state: freshFold(p, facts.slice(0, i + 1)),
          }));
          await store.commit([pairCommit(p, 0, facts, facts, { checkpoints })]);
        }
        const heads = async () => store.heads(streams.map(pairStreamId));
        const before = await heads();
        const change = callbackChanged(business, T0 + 200, true);
        const refoldedHead = before.get(pairStreamId(refolded));
        const invalidation: BusinessInvalidation = { business, from: T0 + 200 };
        await store.commit(
          [
            {
              stream: businessStreamId(business),
              expectedVersion: 0,
              facts: [change],
              state: null,
              checkpoints: [],
            },
            {
              stream: pairStreamId(refolded),
              expectedVersion: refoldedHead?.version ?? 0,
              facts: [],
              state: refoldedHead?.state ?? null,
              checkpoints: [],
            },
          ],
          [invalidation],
        );
        let after = await heads();
        const staleOf = (p: Pair) => after.get(pairStreamId(p))?.staleFrom;
        expect([early, folded, edge, refolded, elsewhere].map(staleOf)).toEqual([
          null,
          T0 + 200,
          T0 + 200,
          null,
          null,
        ]);
        expect(
          (await store.heads([businessStreamId(business)])).get(businessStreamId(business)),
        ).toMatchObject({
          version: 1,
          state: null,
          staleFrom: null,
        });
        const latest = async (p: Pair) =>
          (await store.checkpointBefore(pairStreamId(p), { at: T0 + DAY, rank: 0, key: '' }))?.position.at;
        expect(await Promise.all(streams.map(latest))).toEqual([
          T0 + 100,
          T0 + 150,
          T0 + 150,
          T0 + 300,
          T0 + 300,
        ]);
        // Version and state stay: only the staleness mark moves.
        expect(after.get(pairStreamId(folded))).toMatchObject({
          version: before.get(pairStreamId(folded))?.version,
          state: before.get(pairStreamId(folded))?.state,
        });

        // Staleness only moves earlier.
        await store.commit([], [{ business, from: T0 + 250 }]);
        after = await heads();
        expect(staleOf(folded)).toBe(T0 + 200);
        await store.commit([], [{ business, from: T0 + 120 }]);
        after = await heads();
        expect([early, folded, edge].map(staleOf)).toEqual([null, T0 + 120, T0 + 120]);
        expect(await latest(folded)).toBe(T0 + 10);

        // A commit with a state (a re-fold) clears the mark.
        const head = after.get(pairStreamId(folded));
        await store.commit([
          {
            stream: pairStreamId(folded),
            expectedVersion: head?.version ?? 0,
            facts: [],
            state: head?.state ?? null,
            checkpoints: [],
          },
        ]);
        after = await heads();
        expect(staleOf(folded)).toBeNull();
      });

      it('factsByKey hands back the fact stored under each known key, as stored, and nothing for unknown keys', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const observed: PairFact = {
          type: 'PermissionObserved',
          pair,
          at: T0 + 10,
          key: `${stream}:observed`,
          source: { kind: 'api_call', ref: 'capture.ndjson:7' },
          status: 'temporary',
          expiresAt: T0 + 7 * DAY,
          usage: [
            { action: 'start_call', periodSeconds: DAY, maxAllowed: 100, currentUsage: 3 },
            {
              action: 'send_call_permission_request',
              periodSeconds: 7 * DAY,
              maxAllowed: 2,
              currentUsage: 1,
            },
          ],
        };
        const facts = [f.granted(T0, { permanent: true }), observed];
        const setting = callbackChanged(pair.business, T0 + 20, true);
        await store.commit([
          pairCommit(pair, 0, facts),
          {
            stream: businessStreamId(pair.business),
            expectedVersion: 0,
            facts: [setting],
            state: null,
            checkpoints: [],
          },
        ]);
        const found = await store.factsByKey([
          observed.key,
          'no-such-key',
          setting.key,
          facts[0]?.key as string,
        ]);
        expect(found).toEqual(
          new Map<string, Fact>([
            [observed.key, observed],
            [setting.key, setting],
            [facts[0]?.key as string, facts[0] as Fact],
          ]),
        );
        expect(await store.factsByKey([])).toEqual(new Map());
      });

      it('readAll returns the log in commit order, each fact once, with its stream and version', async () => {
        const a = uniquePair();
        const b = uniquePair();
        const fa = factsFor(a);
        const fb = factsFor(b);
        const a1 = [fa.userMessaged(T0 + 50, 'm'), fa.userMessaged(T0 + 10, 'm')];
        const b1 = [fb.userMessaged(T0, 'm')];
        const a2 = [fa.userMessaged(T0 + 5, 'm')];
        await store.commit([pairCommit(a, 0, a1), pairCommit(b, 0, b1)]);
        await store.commit([pairCommit(a, 2, a2, [...a1, ...a2])]);
        const log = await wholeLog(store);
        // Whatever the driver hands back (int8 as text, BigInt), the port speaks JavaScript numbers.
        expect(log.every((r) => Number.isSafeInteger(r.position) && Number.isSafeInteger(r.version))).toBe(
          true,
        );
        const positions = log.map((r) => r.position);
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
        expect(new Set(positions).size).toBe(positions.length);
        const ours = log.filter((r) => r.stream === pairStreamId(a) || r.stream === pairStreamId(b));
        expect(ours.map((r) => [r.stream, r.version, r.fact])).toEqual([
          [pairStreamId(a), 1, a1[0]],
          [pairStreamId(a), 2, a1[1]],
          [pairStreamId(b), 1, b1[0]],
          [pairStreamId(a), 3, a2[0]],
        ]);
        const last = log.at(-1)?.position ?? 0;
        expect(await store.readAll(last, 10)).toEqual([]);
        expect(await store.readAll(positions[0] ?? 0, 2)).toEqual(log.slice(1, 3));
      });
    });

    describe('exclusive', () => {
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

      it('holders of one key run one at a time; other keys run alongside; the value comes back', async () => {
        const key = pairStreamId(uniquePair());
        const other = pairStreamId(uniquePair());
        let inside = 0;
        let most = 0;
        // The first holder keeps the key until the other key's holder has run (or 10 s, and the test fails):
        // a store that made the other key wait would keep them apart. No timing is assumed.
        let firstIn: () => void = () => {};
        const firstInside = new Promise<void>((resolve) => {
          firstIn = resolve;
        });
        let otherDone: () => void = () => {};
        const otherFinished = new Promise<void>((resolve) => {
          otherDone = resolve;
        });
        const hold = async (label: string, until: Promise<unknown>) => {
          inside++;
          most = Math.max(most, inside);
          if (label === 'a') firstIn();
          await until;
          inside--;
          return label;
        };
        let otherRan = false;
        const results = await Promise.all([
          store.exclusive(key, () => hold('a', Promise.race([otherFinished, pause(10_000)]))),
          store.exclusive(key, () => hold('b', pause(5))),
          store.exclusive(key, () => hold('c', pause(5))),
          firstInside.then(() =>
            store.exclusive(other, async () => {
              otherRan = inside > 0;
              otherDone();
              return 'other';
            }),
          ),
        ]);
        expect(results).toEqual(['a', 'b', 'c', 'other']);
        expect(most).toBe(1);
        expect(otherRan, 'another key did not wait for the held one').toBe(true);
      });

      it('a holder that throws releases its key', async () => {
        const key = pairStreamId(uniquePair());
        await expect(store.exclusive(key, async () => Promise.reject(new Error('boom')))).rejects.toThrow(
          'boom',
        );
        expect(await store.exclusive(key, async () => 'next')).toBe('next');
      });

      it('Engine.attempt: two engines racing attempts of which only one may pass perform exactly one', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const policy = policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 1 }] });
        const [a, b] = [new Engine(store, { policy }), new Engine(store, { policy })];
        await a.ingest([f.granted(T0 - 60, { expiresAt: T0 + 6 * DAY })]);
        let performed = 0;
        const upstream = async (at: Instant, callId: string) => {
          performed++;
          await pause(30);
          return { value: callId, facts: [f.callAttempted(at, callId)] };
        };
        const attempt = { type: 'StartCall', pair } as const;
        const results = await Promise.all([
          a.attempt(attempt, T0, (at) => upstream(at, 'wacid.A')),
          b.attempt(attempt, T0, (at) => upstream(at, 'wacid.B')),
        ]);
        expect(performed).toBe(1);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.find((r) => !r.ok)).toMatchObject({ refusal: { code: 138012 } });
      });
    });

    describe('through the Engine', () => {
      it('ingest applies each fact once, whatever the batches and duplicates', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const facts = [
          f.requestSent(T0, 'r1'),
          f.requestDelivered(T0 + 5, 'r1'),
          f.granted(T0 + 60, { requestId: 'r1', expiresAt: T0 + 60 + 7 * DAY }),
          f.userMessaged(T0 + 70, 'm1'),
          f.callConnected(T0 + 100, 'c1'),
        ];
        const engine = new Engine(store);
        const first = await engine.ingest([facts[2], facts[0], facts[2]] as PairFact[]);
        expect(first).toEqual({ applied: 2, duplicates: 1, rejected: [], conflicts: [], known: new Set() });
        const second = await engine.ingest(facts);
        const keys = (list: Fact[]) => new Set(list.map((x) => x.key));
        expect(second).toEqual({
          applied: 3,
          duplicates: 2,
          rejected: [],
          conflicts: [],
          known: keys([facts[0], facts[2]] as Fact[]),
        });
        expect(await new Engine(store).ingest(facts)).toEqual({
          applied: 0,
          duplicates: 5,
          rejected: [],
          conflicts: [],
          known: keys(facts),
        });
        expect(await store.factsOf(pairStreamId(pair))).toEqual([...facts].sort(compareFacts));
        expect(await engine.state(pair, T0 + DAY)).toEqual(freshFold(pair, facts));
        expect((await engine.callPermissions(pair, T0 + DAY)).permission).toEqual({
          status: 'temporary',
          expiration_time: T0 + 60 + 7 * DAY,
        });
      });

      it('a known key with other content is a conflict: reported with both facts, neither stored nor applied', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const engine = new Engine(store);
        const granted = f.granted(T0, { permanent: true });
        await engine.ingest([granted]);
        // The same fact delivered again from elsewhere (another webhook, another capture line): a duplicate.
        const redelivered: Fact = { ...granted, source: { kind: 'webhook', ref: 'redelivery' } };
        // The same key saying something else: a temporary grant instead of a permanent one.
        const changed: Fact = { ...granted, permanent: false, expiresAt: T0 + DAY } as Fact;
        // Two facts of one call with one key and different content: the first is taken, the second conflicts.
        const message = f.userMessaged(T0 + 5, 'm1');
        const otherMessage: Fact = { ...message, messageId: 'm2' } as Fact;
        const result = await engine.ingest([redelivered, changed, message, otherMessage]);
        expect(result.applied).toBe(1);
        expect(result.duplicates).toBe(1);
        expect(result.rejected).toEqual([]);
        expect(result.known).toEqual(new Set([granted.key]));
        expect(result.conflicts).toHaveLength(2);
        expect(result.conflicts).toContainEqual({ key: granted.key, stored: granted, given: changed });
        expect(result.conflicts).toContainEqual({ key: message.key, stored: message, given: otherMessage });
        expect(await store.factsOf(stream)).toEqual([granted, message]);
        expect((await engine.callPermissions(pair, T0 + 2 * DAY)).permission).toEqual({
          status: 'permanent',
        });
        // Another engine (no cache) sees the same: the conflict is reported again, and still not stored.
        const again = await new Engine(store).ingest([changed]);
        expect(again).toMatchObject({
          applied: 0,
          duplicates: 0,
          conflicts: [{ key: granted.key, given: changed }],
        });
        expect(await store.factsOf(stream)).toEqual([granted, message]);
      });

      it('whatever the boundary accepts, the store holds as given: odd ids, a BSUID, the longest key, a Date', async () => {
        const business = uniqueBusiness();
        const user = 'US.ENT.13491208655302741918';
        const pair = { business, user };
        const odd = `wamid.'quote' "double" \\back\\slash é 𝄞 ${'x'.repeat(200)}`;
        const key = `${business}:${'k'.repeat(1024 - business.length - 1)}`;
        const engine = new Engine(store);
        const given = [
          { ...factsFor(pair).userMessaged(T0, odd), key },
          factsFor(pair).granted(T0 + 1, { permanent: true }),
        ];
        expect(await engine.ingest(given)).toMatchObject({ applied: 2, rejected: [] });
        const decided = await engine.execute(
          { type: 'StartCall', pair, callId: odd },
          new Date((T0 + 2) * 1000),
        );
        expect(decided).toMatchObject({ ok: true, at: T0 + 2 });
        const stored = await store.factsOf(pairStreamId(pair));
        expect(stored.slice(0, 2)).toEqual(given);
        expect(stored[2]).toMatchObject({ type: 'CallAttempted', pair, callId: odd, at: T0 + 2 });
        expect((await store.factsByKey([key])).get(key)).toEqual(given[0]);
      });

      it('a late fact re-folds from the checkpoint before it, and every checkpoint stays a fold of its prefix', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const stream = pairStreamId(pair);
        const engine = new Engine(store, { checkpointEvery: 4 });
        const facts: PairFact[] = [];
        for (let i = 0; i < 14; i++) {
          const fact =
            i % 3 === 0
              ? f.granted(T0 + i * 3600, { expiresAt: T0 + i * 3600 + DAY })
              : f.userMessaged(T0 + i * 3600, `m${i}`);
          facts.push(fact);
          await engine.ingest([fact]);
        }
        const late = [f.revoked(T0 + 5 * 3600 + 1), f.callUnanswered(T0 + 2 * 3600, 'c1')];
        await engine.ingest(late);
        const all = [...facts, ...late];
        const sorted = [...all].sort(compareFacts);
        for (let h = -1; h <= 16; h++) {
          const at = T0 + h * 3600 + 30;
          expect(await engine.state(pair, at)).toEqual(freshFold(pair, upTo(all, at)));
        }
        // Walk the checkpoints from the end: each is the fold of the facts up to its position.
        let bound: FoldPosition = { at: T0 + 30 * DAY, rank: 0, key: '' };
        let seen = 0;
        for (
          let cp = await store.checkpointBefore(stream, bound);
          cp;
          cp = await store.checkpointBefore(stream, bound)
        ) {
          const prefix = sorted.filter((x) => compareFacts(x, sorted[cp.state.factCount - 1] as Fact) <= 0);
          expect(cp.state).toEqual(freshFold(pair, prefix));
          expect(cp.position).toEqual(positionOf(prefix.at(-1) as Fact));
          bound = cp.position;
          seen++;
        }
        expect(seen).toBe(Math.floor(all.length / 4));
      });

      it('execute applies the request and call limits, answers with retryAt, and records each command once', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const engine = new Engine(store, {
          policy: policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 2 }] }),
        });
        // Request and call ids key the command's fact in the whole log (Meta's ids are global): keep them ours.
        const id = (x: string) => `${pair.business}.${x}`;
        const send = (requestId: string) =>
          ({ type: 'SendPermissionRequest', pair, requestId: id(requestId), channel: 'template' }) as const;
        expect(await engine.execute(send('r1'), T0)).toMatchObject({ ok: true });
        expect(await engine.execute(send('r1'), T0 + 5)).toEqual({
          ok: true,
          facts: [],
          replayed: true,
          at: T0 + 5,
        });
        expect(await engine.execute(send('r2'), T0 + 10)).toMatchObject({
          ok: false,
          refusal: { code: 138009, retryAt: T0 + DAY },
        });
        expect(await engine.execute(send('r2'), T0 + DAY)).toMatchObject({ ok: true });
        expect(await engine.execute(send('r3'), T0 + 2 * DAY)).toMatchObject({
          ok: false,
          refusal: { code: 138009, retryAt: T0 + 7 * DAY },
        });

        const call = (callId: string) => ({ type: 'StartCall', pair, callId: id(callId) }) as const;
        expect(await engine.execute(call('c0'), T0 + 2 * DAY)).toMatchObject({
          ok: false,
          refusal: { code: 138006 },
        });
        await engine.ingest([f.granted(T0 + 2 * DAY + 10, { requestId: id('r2') })]);
        const at = T0 + 2 * DAY + 20;
        expect(await engine.execute(call('c1'), at)).toMatchObject({ ok: true });
        expect(await engine.execute(call('c2'), at)).toMatchObject({ ok: true });
        expect(await engine.execute(call('c3'), at + 1)).toMatchObject({
          ok: false,
          refusal: { code: 138012 },
        });
        const keys = (await store.factsOf(pairStreamId(pair)))
          .filter((x) => x.key.startsWith('command:'))
          .map((x) => x.key);
        expect(keys).toEqual([
          `command:${pairStreamId(pair)}:request:${id('r1')}`,
          `command:${pairStreamId(pair)}:request:${id('r2')}`,
          `command:${pairStreamId(pair)}:call:${id('c1')}`,
          `command:${pairStreamId(pair)}:call:${id('c2')}`,
        ]);
      });

      it('commands racing through two engines never exceed a limit, and every accepted one is in the log', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const policy = policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 2 }] });
        const engines = [new Engine(store, { policy }), new Engine(store, { policy })];
        const sends = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (engines[i % 2] as Engine).execute(
              {
                type: 'SendPermissionRequest',
                pair,
                requestId: `${pair.business}.r${i}`,
                channel: 'template',
              },
              T0,
            ),
          ),
        );
        expect(sends.filter((d) => d.ok)).toHaveLength(1);
        expect(sends.filter((d) => !d.ok).map((d) => !d.ok && d.refusal.code)).toEqual(Array(7).fill(138009));
        await Promise.all(
          engines.map((e) => e.ingest([f.granted(T0 + 10, { key: `${pairStreamId(pair)}:grant` })])),
        );
        const calls = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (engines[i % 2] as Engine).execute(
              { type: 'StartCall', pair, callId: `${pair.business}.c${i}` },
              T0 + 20,
            ),
          ),
        );
        const accepted = [...sends, ...calls].flatMap((d) => (d.ok ? d.facts.map((x) => x.key) : []));
        expect(calls.filter((d) => d.ok)).toHaveLength(2);
        const logged = (await store.factsOf(pairStreamId(pair))).map((x) => x.key);
        expect(logged.filter((k) => k.startsWith('command:')).sort()).toEqual([...accepted].sort());
        expect(logged).toHaveLength(accepted.length + 1);
      });

      it('the state at any instant equals a fresh fold of the facts up to it, whatever the arrival order', async () => {
        await fc.assert(
          fc.asyncProperty(
            historySteps({ maxFacts: 24 }),
            fc.array(fc.nat(), { minLength: 24, maxLength: 24 }),
            fc.array(fc.nat(), { maxLength: 4 }),
            async (steps, order, cuts) => {
              // A pair of its own per run (shrinking included): runs share the store.
              const pair = uniquePair();
              const facts = historyFacts(pair, steps);
              const arrival = facts
                .map((fact, i) => ({ fact, rank: order[i] ?? 0 }))
                .sort((x, y) => x.rank - y.rank)
                .map((x) => x.fact);
              const engine = new Engine(store, { checkpointEvery: 3 });
              for (const batch of batches(arrival, cuts)) await engine.ingest(batch);
              const instants = [...new Set(facts.flatMap((x) => [x.at - 1, x.at, x.at + 1800]))].sort(
                (x, y) => x - y,
              );
              for (const at of [...instants, T0 + 400 * DAY]) {
                expect(await engine.state(pair, at)).toEqual(freshFold(pair, upTo(facts, at)));
              }
            },
          ),
          { numRuns: 6, seed: 20260101 },
        );
      });

      it('a business fact re-folds the pair states it changes: callback permission from an earlier instant', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const engine = new Engine(store, { checkpointEvery: 2 });
        const facts = [
          f.userMessaged(T0, 'm1'),
          f.userCalled(T0 + 100, 'u1'),
          f.userMessaged(T0 + 200, 'm2'),
        ];
        await engine.ingest(facts);
        expect((await engine.callPermissions(pair, T0 + 300)).permission).toEqual({
          status: 'no_permission',
        });
        await engine.ingest([callbackChanged(pair.business, T0 + 50, true)]);
        const env: RuleEnv = { ...plainEnv(pair.business), callbackEnabledAt: (at) => at >= T0 + 50 };
        for (const at of [T0, T0 + 99, T0 + 100, T0 + 300]) {
          expect(await engine.state(pair, at)).toEqual(freshFold(pair, upTo(facts, at), env));
        }
        expect((await engine.callPermissions(pair, T0 + 300)).permission).toMatchObject({
          status: 'temporary',
        });
        // The engine re-folded on query; a new fact re-folds for good and clears the mark.
        await engine.ingest([f.userMessaged(T0 + 400, 'm3')]);
        expect((await store.heads([pairStreamId(pair)])).get(pairStreamId(pair))?.staleFrom).toBeNull();
      });

      it("an engine's cached heads never hide another engine's writes: new facts, re-folds, invalidations", async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const reader = new Engine(store);
        const writer = new Engine(store);
        const at = T0 + DAY;
        // What a reader with nothing cached answers: the reference after each write.
        const uncached = () => new Engine(store, { headCacheSize: 0 }).state(pair, at);
        const answers: PairState[] = [];
        const check = async () => {
          const answer = await reader.state(pair, at);
          expect(answer).toEqual(await uncached());
          expect(await reader.callPermissions(pair, at)).toEqual(
            await new Engine(store, { headCacheSize: 0 }).callPermissions(pair, at),
          );
          answers.push(answer);
        };
        await writer.ingest([f.requestSent(T0, 'r1'), f.granted(T0 + 10, { requestId: 'r1' })]);
        await check();
        await check(); // cached now
        await writer.ingest([f.callConnected(T0 + 20, 'c1')]);
        await check();
        // A re-fold under a policy with shorter grants: same version, another state.
        await new Engine(store, { policy: policyBook({ temporaryGrantSeconds: 3600 }) }).replay();
        await check();
        // A business fact before the pair's last fact makes its head stale: re-folded under the reader's policy.
        await writer.ingest([callbackChanged(pair.business, T0 + 15, true)]);
        await check();
        expect(answers[1]).toEqual(answers[0]);
        for (let i = 2; i < answers.length; i++) expect(answers[i]).not.toEqual(answers[i - 1]);
        // The answer is the reader's own: changing it changes nothing stored.
        (answers[4] as PairState).factCount = -1;
        expect(await reader.state(pair, at)).toEqual(await uncached());
      });

      it('replay re-folds every stream to the state a fresh fold gives', async () => {
        const pair = uniquePair();
        const f = factsFor(pair);
        const engine = new Engine(store, { checkpointEvery: 2 });
        const facts = [
          f.requestSent(T0, 'r1'),
          f.granted(T0 + 10, { requestId: 'r1' }),
          f.callConnected(T0 + 20, 'c1'),
        ];
        await engine.ingest(facts);
        const result = await engine.replay();
        expect(result.streams).toBeGreaterThanOrEqual(1);
        expect((await store.heads([pairStreamId(pair)])).get(pairStreamId(pair))).toMatchObject({
          version: 3,
          state: freshFold(pair, facts),
          staleFrom: null,
        });
      });
    });
  });
}
