// The engine's answers are a function of the set of facts: live head, replay, checkpoint + tail and a fresh
// fold agree, whatever the arrival order, batching and duplication.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Fact, isBusinessFact, type PairFact } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { fold } from '../rules/evolve.js';
import { initialPairState, type PairState } from '../state/pairState.js';
import { factHistoryArb, instantArb } from '../test/arbitraries.js';
import { facts, T0, testPair, WEEK } from '../test/builders.js';
import { Engine } from './engine.js';
import { MemoryFactStore } from './memoryStore.js';

const span = 3 * WEEK;
const history = factHistoryArb({ callbackChanges: true, span, minLength: 1, maxLength: 60 });

/** A history with an arrival: its facts shuffled, cut into batches, and a checkpoint interval. */
const arrivalArb = history.chain((h) =>
  fc.record({
    history: fc.constant(h),
    arrival: fc.shuffledSubarray(h, { minLength: h.length, maxLength: h.length }),
    batches: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
    checkpointEvery: fc.integer({ min: 1, max: 9 }),
  }),
);

async function ingestInBatches(engine: Engine, arrival: readonly Fact[], sizes: readonly number[]) {
  let i = 0;
  for (let b = 0; i < arrival.length; b++) {
    const size = sizes[b % sizes.length] as number;
    const result = await engine.ingest(arrival.slice(i, i + size));
    expect(result.rejected).toEqual([]);
    i += size;
  }
}

/** The state a fresh fold of the pair's facts at or before `at` gives, under the engine's own rule environment. */
async function freshFold(engine: Engine, facts: readonly Fact[], at: Instant = Number.POSITIVE_INFINITY) {
  const env = await engine.ruleEnv(testPair.business);
  const mine = facts.filter((f): f is PairFact => !isBusinessFact(f) && f.at <= at);
  return fold(initialPairState(testPair.business, testPair.user), mine, env);
}

const lastInstant = (facts: readonly Fact[]) => Math.max(T0, ...facts.map((f) => f.at));
const runs = (seed: number, numRuns = 200) => ({ seed, numRuns });

describe('the engine folds the set of facts', () => {
  it('live state == a fresh fold of every fact, whatever the arrival order and batching', async () => {
    await fc.assert(
      fc.asyncProperty(arrivalArb, async ({ history, arrival, batches, checkpointEvery }) => {
        const engine = new Engine(new MemoryFactStore(), { checkpointEvery });
        await ingestInBatches(engine, arrival, batches);
        const end = lastInstant(history);
        expect(await engine.state(testPair, end)).toEqual(await freshFold(engine, history));
      }),
      runs(1),
    );
  });

  it('checkpoint + tail: the state at any past instant == a fresh fold of the facts at or before it', async () => {
    await fc.assert(
      fc.asyncProperty(
        arrivalArb,
        fc.array(instantArb({ from: T0 - 1, span: span + 2 }), { minLength: 1, maxLength: 6 }),
        async ({ history, arrival, batches, checkpointEvery }, instants) => {
          const engine = new Engine(new MemoryFactStore(), { checkpointEvery });
          await ingestInBatches(engine, arrival, batches);
          for (const t of instants) {
            expect(await engine.state(testPair, t), `state at ${t}`).toEqual(
              await freshFold(engine, history, t),
            );
          }
        },
      ),
      runs(2),
    );
  });

  it('replayed state (Engine.replay) == live state, and the stored head holds it', async () => {
    await fc.assert(
      fc.asyncProperty(arrivalArb, async ({ history, arrival, batches, checkpointEvery }) => {
        const store = new MemoryFactStore();
        const engine = new Engine(store, { checkpointEvery });
        await ingestInBatches(engine, arrival, batches);
        const end = lastInstant(history);
        const live = await engine.state(testPair, end);
        const pairFacts = history.filter((f) => !isBusinessFact(f)).length;
        expect(await engine.replay()).toEqual({ streams: pairFacts > 0 ? 1 : 0, facts: pairFacts });
        expect(await engine.state(testPair, end)).toEqual(live);
        // A second engine on the same store (a restart) reads the same head.
        const restarted = new Engine(store, { checkpointEvery });
        expect(await restarted.state(testPair, end)).toEqual(live);
        if (pairFacts > 0) {
          const head = (await store.heads([`${testPair.business}/${testPair.user}`])).values().next().value;
          expect(head?.state as PairState).toEqual(await freshFold(engine, history));
        }
      }),
      runs(3),
    );
  });

  it('any permutation of the same facts gives the same state', async () => {
    await fc.assert(
      fc.asyncProperty(
        arrivalArb.chain((a) =>
          fc.record({
            a: fc.constant(a),
            other: fc.shuffledSubarray(a.history, {
              minLength: a.history.length,
              maxLength: a.history.length,
            }),
          }),
        ),
        async ({ a, other }) => {
          const one = new Engine(new MemoryFactStore(), { checkpointEvery: a.checkpointEvery });
          const two = new Engine(new MemoryFactStore(), { checkpointEvery: 64 });
          await ingestInBatches(one, a.arrival, a.batches);
          for (const f of other) await two.ingest([f]);
          const end = lastInstant(a.history);
          expect(await one.state(testPair, end)).toEqual(await two.state(testPair, end));
          expect(await one.callPermissions(testPair, end)).toEqual(await two.callPermissions(testPair, end));
          expect(await one.requests(testPair, end)).toEqual(await two.requests(testPair, end));
        },
      ),
      runs(4),
    );
  });

  it('any fact duplicated any number of times gives the same state, and counts as a duplicate', async () => {
    await fc.assert(
      fc.asyncProperty(
        arrivalArb.chain((a) =>
          fc.record({
            a: fc.constant(a),
            copies: fc.array(fc.integer({ min: 1, max: 4 }), {
              minLength: a.arrival.length,
              maxLength: a.arrival.length,
            }),
          }),
        ),
        async ({ a, copies }) => {
          // Copies arrive in the same batch and in later ones.
          const repeated = a.arrival.flatMap((f, i) => Array.from({ length: copies[i] ?? 1 }, () => f));
          const repeatedLater = [...repeated].reverse();
          const engine = new Engine(new MemoryFactStore(), { checkpointEvery: a.checkpointEvery });
          let duplicates = 0;
          let applied = 0;
          for (const batch of [repeated, repeatedLater]) {
            const result = await engine.ingest(batch);
            duplicates += result.duplicates;
            applied += result.applied;
          }
          expect(applied).toBe(a.history.length);
          expect(duplicates).toBe(2 * repeated.length - a.history.length);
          const end = lastInstant(a.history);
          expect(await engine.state(testPair, end)).toEqual(await freshFold(engine, a.history));
        },
      ),
      runs(5),
    );
  });
});

describe('idempotence', () => {
  it('ingesting facts the log holds changes nothing: nothing stored, no head touched, every answer the same', async () => {
    await fc.assert(
      fc.asyncProperty(
        arrivalArb.chain((a) =>
          fc.record({
            a: fc.constant(a),
            again: fc.array(fc.constantFrom(...a.history), { minLength: 1, maxLength: 2 * a.history.length }),
            instants: fc.array(instantArb({ from: T0 - 1, span: span + 2 }), { minLength: 1, maxLength: 4 }),
          }),
        ),
        async ({ a, again, instants }) => {
          const engine = new Engine(new MemoryFactStore(), { checkpointEvery: a.checkpointEvery });
          await ingestInBatches(engine, a.arrival, a.batches);
          const streams = await engine.store.streams();
          const answers = async () => ({
            log: await engine.store.readAll(0, 1_000_000),
            heads: await engine.store.heads(streams),
            states: await Promise.all(instants.map((t) => engine.state(testPair, t))),
            views: await Promise.all(instants.map((t) => engine.callPermissions(testPair, t))),
            requests: await Promise.all(instants.map((t) => engine.requests(testPair, t))),
          });
          const before = await answers();
          const result = await engine.ingest(again);
          expect(result).toMatchObject({ applied: 0, duplicates: again.length, rejected: [], conflicts: [] });
          expect(await answers()).toEqual(before);
        },
      ),
      runs(6, 150),
    );
  });
});

describe('a fact the engine cannot apply is refused with its reason, and the rest applies', () => {
  it('names what is wrong: no instant, no key, no pair', async () => {
    const engine = new Engine(new MemoryFactStore());
    const good = facts.permissionGranted({ at: T0, permanent: true });
    const noInstant = { ...facts.permissionRevoked({ at: T0 + 1 }), at: Number.NaN };
    const noKey = { ...facts.permissionRevoked({ at: T0 + 2 }), key: '' };
    const noUser = {
      ...facts.permissionRevoked({ at: T0 + 3 }),
      pair: { business: testPair.business, user: '' },
    };
    const result = await engine.ingest([good, noInstant, noKey, noUser]);
    expect(result.applied).toBe(1);
    expect(result.rejected.map((r) => `${r.field}: ${r.reason}`)).toEqual([
      'at: NaN is not a finite number of seconds',
      'key: empty',
      'pair.user: empty',
    ]);
    expect((await engine.callPermissions(testPair, T0 + 10)).permission).toEqual({ status: 'permanent' });
  });
});

describe('ingest tells its caller what it read before it writes', () => {
  it("onReads comes after every read (a late fact's re-fold included) and before the commit", async () => {
    const store = new MemoryFactStore();
    const engine = new Engine(store, { checkpointEvery: 2 });
    const held = facts.userMessaged({ at: T0 + 10, messageId: 'm1' });
    await engine.ingest([held, facts.userMessaged({ at: T0 + 20, messageId: 'm2' })]);
    // Earlier than the head's last fact: the engine re-folds, reading a checkpoint and facts.
    const late = facts.userMessaged({ at: T0 + 5, messageId: 'm0' });
    const bad = { ...facts.userMessaged({ at: T0 + 6, messageId: 'm3' }), key: '' };
    const events: string[] = [];
    for (const method of ['factsByKey', 'heads', 'checkpointBefore', 'factsOf', 'commit'] as const) {
      const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        events.push(method);
        return original(...args);
      };
    }
    const result = await engine.ingest([held, late, bad], {
      onReads: ({ known, rejected }) => {
        events.push(
          `reads: known ${[...known].join(',')}; refused ${rejected.map((r) => `${r.field}: ${r.reason}`).join(',')}`,
        );
      },
    });
    expect(events.slice(-2)).toEqual([`reads: known ${held.key}; refused key: empty`, 'commit']);
    expect(events).toEqual(expect.arrayContaining(['factsByKey', 'heads', 'factsOf']));
    expect(result).toMatchObject({ applied: 1, duplicates: 1 });
    expect((await engine.state(testPair, T0 + 30)).factCount).toBe(3);
  });
});

describe('ingest lets its caller pause between the folds of pairs', () => {
  it('betweenFolds follows each pair fold, and its pause holds the next fold and the commit', async () => {
    const store = new MemoryFactStore();
    const engine = new Engine(store);
    const users = ['447700900001', '447700900002', '447700900003'];
    const given = users.map((user, i) =>
      facts.userMessaged({ pair: { ...testPair, user }, at: T0 + i, messageId: `m${i}` }),
    );
    const events: string[] = [];
    const commit = store.commit.bind(store);
    store.commit = (...args) => {
      events.push('commit');
      return commit(...args);
    };
    const paused: (() => void)[] = [];
    const ingesting = engine.ingest(given, {
      betweenFolds: (folded) => {
        events.push(`folded ${folded}`);
        // The second pause holds the engine until the test lets it go; the others do not pause.
        if (folded !== 2) return undefined;
        return new Promise<void>((resolve) => paused.push(resolve));
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events).toEqual(['folded 1', 'folded 2']);
    (paused[0] as () => void)();
    expect(await ingesting).toMatchObject({ applied: 3 });
    expect(events).toEqual(['folded 1', 'folded 2', 'folded 3', 'commit']);
    for (const user of users) expect((await engine.state({ ...testPair, user }, T0 + 10)).factCount).toBe(1);
  });
});
