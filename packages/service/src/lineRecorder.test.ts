import { Engine, type Fact, type IngestOptions, type IngestResult, MemoryFactStore } from '@callpermit/core';
import { factsFor, T0, uniquePair } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { LineRecorder } from './lineRecorder.js';
import type { TranslatedLine } from './lines.js';

/** An engine that counts its ingests (one per transaction) and fails the next one when told to. */
class CountingEngine extends Engine {
  ingests = 0;
  failNext = false;
  override async ingest(facts: readonly Fact[], options?: IngestOptions): Promise<IngestResult> {
    this.ingests++;
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
