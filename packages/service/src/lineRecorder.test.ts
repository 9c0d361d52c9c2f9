import { Engine, type Fact, type IngestOptions, type IngestResult, MemoryFactStore } from '@callpermit/core';
import { openStore } from '@callpermit/store';
import { describeWithPostgres, factsFor, T0, uniquePair } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { LineRecorder } from './lineRecorder.js';
import type { TranslatedLine } from './lines.js';

/**
 * An engine that counts its ingests (one per transaction) and their facts, fails the next one when told to, and
 * holds each one until `hold` resolves when given one.
 */
class CountingEngine extends Engine {
  ingests = 0;
  sizes: number[] = [];
  failNext = false;
  hold: Promise<void> | undefined;
  override async ingest(facts: readonly Fact[], options?: IngestOptions): Promise<IngestResult> {
    this.ingests++;
    this.sizes.push(facts.length);
    await this.hold;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the database went away');
    }
    return super.ingest(facts, options);
  }
}

const lineOf = (fact: Fact, n: number): TranslatedLine => ({
  file: 'webhook',
  lineNo: 0,
  raw: `body ${n}`,
  outcome: { kind: 'facts', facts: [fact], ignored: 0 },
});

describe('LineRecorder (group commit)', () => {
  it('concurrent bodies share transactions, and each caller gets its own line’s result', async () => {
    const engine = new CountingEngine(new MemoryFactStore());
    const recorder = new LineRecorder(engine);
    const f = factsFor(uniquePair());
    const facts = Array.from({ length: 20 }, (_, i) => f.userMessaged(T0 + i, `m${i}`));
    // The fifth body is the first again: a duplicate within the same group.
    const lines = facts.map((fact, i) => lineOf(i === 4 ? (facts[0] as Fact) : fact, i));
    const results = await Promise.all(lines.map((line) => recorder.record(line)));
    expect(results[0]).toEqual({ outcome: 'applied' });
    expect(results[4]).toEqual({ outcome: 'duplicate' });
    expect(results.filter((r) => r.outcome === 'applied')).toHaveLength(19);
    // Bodies that arrive in the same turn of the event loop share one transaction.
    expect(engine.ingests).toBe(1);
  });

  it('a failed transaction fails every caller in it, and the next group goes on', async () => {
    const engine = new CountingEngine(new MemoryFactStore());
    const recorder = new LineRecorder(engine);
    const f = factsFor(uniquePair());
    engine.failNext = true;
    const group = [
      recorder.record(lineOf(f.userMessaged(T0, 'a'), 1)),
      recorder.record(lineOf(f.userMessaged(T0 + 1, 'b'), 2)),
    ];
    const failed = await Promise.allSettled(group);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failed[0]).toMatchObject({ reason: new Error('the database went away') });
    expect(await recorder.record(lineOf(f.userMessaged(T0 + 2, 'c'), 3))).toEqual({ outcome: 'applied' });
  });
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LineRecorder: gathering a group', () => {
  it('a transaction waits (up to gatherMs) for as many bodies as the one before it took', async () => {
    const engine = new CountingEngine(new MemoryFactStore());
    const recorder = new LineRecorder(engine, { gatherMs: 5_000 });
    const f = factsFor(uniquePair());
    const first = Array.from({ length: 4 }, (_, i) =>
      recorder.record(lineOf(f.userMessaged(T0 + i, `a${i}`), i)),
    );
    await Promise.all(first);
    expect(engine.ingests).toBe(1);
    // Four bodies again, a few turns apart: without the wait each would start a transaction of its own.
    const second: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      second.push(recorder.record(lineOf(f.userMessaged(T0 + 10 + i, `b${i}`), 10 + i)));
      await turn();
      await turn();
    }
    await Promise.all(second);
    expect(engine.ingests).toBe(2);
  });

  it('and for those that arrived while it ran: their callers and the ones just answered make one group', async () => {
    const engine = new CountingEngine(new MemoryFactStore());
    const recorder = new LineRecorder(engine, { gatherMs: 5_000 });
    const f = factsFor(uniquePair());
    let open = () => {};
    engine.hold = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = [0, 1].map((i) => recorder.record(lineOf(f.userMessaged(T0 + i, `a${i}`), i)));
    await turn();
    await turn();
    // Three arrive while the first transaction (two bodies) runs.
    const meanwhile = [2, 3, 4].map((i) => recorder.record(lineOf(f.userMessaged(T0 + i, `m${i}`), i)));
    engine.hold = undefined;
    open();
    await Promise.all(first);
    // The two callers answered come back, a few turns apart: the next transaction takes all five.
    const back: Promise<unknown>[] = [];
    for (const i of [5, 6]) {
      await turn();
      await turn();
      back.push(recorder.record(lineOf(f.userMessaged(T0 + i, `b${i}`), i)));
    }
    await Promise.all([...meanwhile, ...back]);
    expect(engine.sizes).toEqual([2, 5]);
  });

  it('a lone body after a group waits for the others gatherMs at most, then goes alone', async () => {
    const engine = new CountingEngine(new MemoryFactStore());
    const recorder = new LineRecorder(engine, { gatherMs: 50 });
    const f = factsFor(uniquePair());
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => recorder.record(lineOf(f.userMessaged(T0 + i, `a${i}`), i))),
    );
    const started = performance.now();
    expect(await recorder.record(lineOf(f.userMessaged(T0 + 9, 'alone'), 9))).toEqual({ outcome: 'applied' });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(40);
    expect(waited).toBeLessThan(5_000);
    expect(engine.ingests).toBe(2);
  });
});

describeWithPostgres('LineRecorder on PostgreSQL', (newDatabase) => {
  it('loses no update and stores each body once, groups arriving in waves: redeliveries, one fact in two bodies', async () => {
    const store = await openStore({ databaseUrl: await newDatabase() });
    try {
      const engine = new Engine(store);
      const recorder = new LineRecorder(engine, { gatherMs: 0 });
      const pairs = [uniquePair('447700900001'), uniquePair('447700900002'), uniquePair('447700900003')];
      const builders = pairs.map((p) => factsFor(p));
      // 90 bodies over three pairs, each carrying one fact at its own instant (out of arrival order).
      const facts: Fact[] = [];
      for (let i = 0; i < 90; i++) {
        const f = builders[i % 3] as ReturnType<typeof factsFor>;
        const at = T0 + ((i * 37) % 90) * 60;
        facts.push(i % 10 === 3 ? f.granted(at, { permanent: true }) : f.userMessaged(at, `m${i}`));
      }
      const lines = facts.map((fact, i) => lineOf(fact, i));
      // Every tenth body delivered twice, and every fifteenth fact delivered again in another body.
      const sent = [
        ...lines,
        ...lines.filter((_, i) => i % 10 === 0),
        ...facts.filter((_, i) => i % 15 === 0).map((fact, i) => lineOf(fact, 1000 + i)),
      ];
      const results: Promise<{ outcome: string }>[] = [];
      for (const [i, line] of sent.entries()) {
        results.push(recorder.record(line));
        if (i % 5 === 4) await turn();
      }
      const outcomes = (await Promise.all(results)).map((r) => r.outcome);
      expect(outcomes.filter((o) => o === 'applied')).toHaveLength(facts.length);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(sent.length - facts.length);
      // Each body once in the inbox, with every delivery counted.
      const counts = await store.inbox.counts();
      expect(counts.applied + counts.duplicate).toBe(facts.length + 6);
      expect(counts.repeated).toBe(9);
      // The heads: what a fresh fold of the same facts gives, for every pair, at every instant that matters.
      const fresh = new Engine(new MemoryFactStore());
      await fresh.ingest(facts);
      for (const pair of pairs)
        for (const at of [T0 + 30 * 60, T0 + 95 * 60])
          expect(await engine.callPermissions(pair, at)).toEqual(await fresh.callPermissions(pair, at));
      expect((await store.readAll(0, 1000)).length).toBe(facts.length);
    } finally {
      await store.close();
    }
  });
});
