import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fact } from '../domain/facts.js';
import type { PairState } from '../state/pairState.js';
import { factHistoryArb } from '../test/arbitraries.js';
import { DAY, facts, T0, testPair, WEEK } from '../test/builders.js';
import { callPermissions } from '../views/callPermissions.js';
import { Engine } from './engine.js';
import { MemoryFactStore } from './memoryStore.js';
import { StreamingReplay } from './streamingReplay.js';

const REORDER = 2 * DAY;

/** Arrival orders a capture can have: each fact (and each duplicate) late by less than the reorder window. */
const arrivals = (history: readonly Fact[]) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: REORDER - 1 }), {
        minLength: history.length,
        maxLength: history.length,
      }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: REORDER - 1 })), { maxLength: 10 }),
    )
    .map(([delays, dupes]) => {
      const arriving = history.map((fact, i) => ({ fact, arrives: fact.at + (delays[i] ?? 0) }));
      for (const [pick, delay] of dupes) {
        const fact = history[pick % Math.max(history.length, 1)];
        if (fact) arriving.push({ fact, arrives: fact.at + delay });
      }
      return arriving.sort((a, b) => a.arrives - b.arrives).map((a) => a.fact);
    });

describe('StreamingReplay: a whole capture folded in memory with a reorder window', () => {
  it('gives every pair the state the Engine gives, for any arrival order and duplicates within the window', async () => {
    await fc.assert(
      fc.asyncProperty(
        factHistoryArb({ span: 6 * WEEK, maxLength: 60, callbackChanges: true }).chain((history) =>
          fc.tuple(fc.constant(history), arrivals(history)),
        ),
        async ([history, arriving]) => {
          const replay = new StreamingReplay({ reorderSeconds: REORDER });
          for (const fact of arriving) expect(replay.add(fact)).toBe('buffered');
          const engine = new Engine(new MemoryFactStore());
          await engine.ingest(history);
          const last = Math.max(T0, ...history.map((f) => f.at));
          const expected = await engine.state(testPair, last);
          const hasPair = history.some((f) => 'pair' in f);
          // Mid-capture, as a copy; then at the end of the capture, every bucket folded.
          const streamed = replay.state(testPair.business, testPair.user);
          if (hasPair) expect(streamed).toEqual(expected);
          const ended = [...replay.states()];
          expect(ended).toHaveLength(hasPair ? 1 : 0);
          if (hasPair) expect(ended[0]).toEqual(expected);
          expect(replay.duplicates).toBe(arriving.length - history.length);
        },
      ),
      { seed: 20261125, numRuns: 300 },
    );
  });

  it('answers what the Engine answers, with the business settings (callback, calling: 138000) it was given', async () => {
    await fc.assert(
      fc.asyncProperty(
        factHistoryArb({ span: 4 * WEEK, maxLength: 40, callbackChanges: true, callingChanges: true }),
        async (history) => {
          // A window longer than the history: every fact is taken, in whatever order it comes.
          const replay = new StreamingReplay({ reorderSeconds: 5 * WEEK });
          for (const fact of history) expect(replay.add(fact)).toBe('buffered');
          const engine = new Engine(new MemoryFactStore());
          await engine.ingest(history);
          const last = Math.max(T0, ...history.map((f) => f.at));
          const state = replay.state(testPair.business, testPair.user);
          if (state === undefined) return;
          const env = replay.ruleEnv(testPair.business);
          for (const at of [last, last + DAY])
            expect(callPermissions(state, at, env), `at ${at}`).toEqual(
              await engine.callPermissions(testPair, at),
            );
        },
      ),
      { seed: 138000, numRuns: 300 },
    );
  });

  it('calling turned off on the number refuses calls and requests in a streaming replay too (138000)', () => {
    const replay = new StreamingReplay({ reorderSeconds: REORDER });
    replay.add(facts.permissionGranted({ at: T0, permanent: true }));
    replay.add(facts.callingSettingChanged({ at: T0 + DAY, enabled: false }));
    const state = replay.state(testPair.business, testPair.user) as PairState;
    const env = replay.ruleEnv(testPair.business);
    const can = (at: number) => callPermissions(state, at, env).actions.map((a) => a.can_perform_action);
    expect(can(T0 + DAY - 1)).toEqual([false, true]);
    expect(can(T0 + DAY)).toEqual([false, false]);
  });

  it('refuses a fact later than the window instead of applying it out of order', () => {
    const replay = new StreamingReplay({ reorderSeconds: REORDER });
    expect(replay.add(facts.permissionGranted({ at: T0 + 10 * DAY, permanent: true }))).toBe('buffered');
    const late = facts.permissionRevoked({ at: T0 + 10 * DAY - REORDER - 1 });
    expect(replay.add(late)).toBe('too_late');
    expect(replay.add(facts.permissionRevoked({ at: T0 + 10 * DAY - REORDER }))).toBe('buffered');
    expect(replay.state(testPair.business, testPair.user)?.permission.status).toBe('permanent');
  });

  it('ends with states(): a fact after the end is an error, not a silent fold out of order', () => {
    const replay = new StreamingReplay({ reorderSeconds: REORDER });
    replay.add(facts.userMessaged({ at: T0 }));
    expect([...replay.states()]).toHaveLength(1);
    expect(() => replay.add(facts.userMessaged({ at: T0 + DAY, messageId: 'wamid.LATER' }))).toThrow(/ended/);
  });

  it('keeps memory to the window: facts the watermark has passed are folded, not held', () => {
    const replay = new StreamingReplay({ reorderSeconds: REORDER });
    let most = 0;
    for (let day = 0; day < 60; day++) {
      replay.add(facts.userMessaged({ at: T0 + day * DAY, messageId: `wamid.M${day}` }));
      most = Math.max(most, replay.held);
    }
    // The window, plus the bucket (a quarter window) that has not filled yet.
    expect(most).toBeLessThanOrEqual(REORDER / DAY + REORDER / DAY / 4 + 1);
    expect(replay.held).toBeGreaterThan(0);
    expect(replay.state(testPair.business, testPair.user)?.factCount).toBe(60);
    expect([...replay.states()][0]?.factCount).toBe(60);
    expect(replay.held).toBe(0);
  });
});
