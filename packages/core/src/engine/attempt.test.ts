// Engine.attempt, the guard: decide, perform and record under the pair's lock, so two attempts of which only
// one may pass never both reach the upstream.
import { describe, expect, it } from 'vitest';
import { type Attempt, ErrorCode } from '../domain/commands.js';
import type { Fact } from '../domain/facts.js';
import { policyBook } from '../policy/policy.js';
import { DAY, facts, HOUR, T0, testPair } from '../test/builders.js';
import { Engine } from './engine.js';
import { KeyedMutex } from './keyedMutex.js';
import { MemoryFactStore } from './memoryStore.js';

/** Lets every pending continuation run (core has no timers): enough turns for an engine's awaits. */
async function settle(turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

const oneCallADay = policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 1 }] });
const call: Attempt = { type: 'StartCall', pair: testPair };

async function engineWithPermission(): Promise<Engine> {
  const engine = new Engine(new MemoryFactStore(), { policy: oneCallADay });
  await engine.ingest([facts.permissionGranted({ at: T0 - HOUR, expiresAt: T0 + 6 * DAY })]);
  return engine;
}

/** What Meta's answer to an allowed connect establishes: a CallAttempted with Meta's call id. */
const attempted = (at: number, callId: string): Fact[] => [facts.callAttempted({ at, callId })];

describe('Engine.attempt', () => {
  it('a refused attempt performs nothing and records nothing; the refusal has Meta’s code', async () => {
    const engine = new Engine(new MemoryFactStore());
    let performed = 0;
    const result = await engine.attempt(call, T0, async () => {
      performed++;
      return { value: 'sent', facts: [] };
    });
    expect(result).toEqual({
      ok: false,
      at: T0,
      refusal: expect.objectContaining({ code: ErrorCode.noPermission }),
    });
    expect(performed).toBe(0);
    expect(await engine.store.readAll(0, 10)).toEqual([]);
  });

  it('an allowed attempt performs at the decided instant and records its facts before the next attempt decides', async () => {
    const engine = await engineWithPermission();
    const first = await engine.attempt(call, T0, async (at) => ({
      value: at,
      facts: attempted(at, 'wacid.1'),
    }));
    expect(first).toEqual({ ok: true, at: T0, value: T0 });
    const second = await engine.attempt(call, T0 + 60, async (at) => ({
      value: at,
      facts: attempted(at, 'wacid.2'),
    }));
    // The first call holds its place (callAttemptHoldSeconds) until its outcome is known.
    expect(second).toMatchObject({ ok: false, refusal: { code: ErrorCode.connectedCallLimit } });
  });

  it('never decides before the pair’s latest fact: a late clock decides at that fact’s instant', async () => {
    const engine = await engineWithPermission();
    const result = await engine.attempt(call, T0 - 2 * HOUR, async (at) => ({ value: at, facts: [] }));
    expect(result).toEqual({ ok: true, at: T0 - HOUR, value: T0 - HOUR });
  });

  it('two concurrent attempts of which only one may pass: exactly one is performed', async () => {
    const engine = await engineWithPermission();
    let performed = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowUpstream = async (at: number, id: string) => {
      performed++;
      await gate;
      return { value: id, facts: attempted(at, id) };
    };
    const a = engine.attempt(call, T0, (at) => slowUpstream(at, 'wacid.A'));
    const b = engine.attempt(call, T0, (at) => slowUpstream(at, 'wacid.B'));
    await settle();
    release();
    const results = await Promise.all([a, b]);
    expect(performed).toBe(1);
    expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
  });

  it('a perform that throws records nothing and releases the pair', async () => {
    const engine = await engineWithPermission();
    await expect(
      engine.attempt(call, T0, async () => {
        throw new Error('upstream unreachable');
      }),
    ).rejects.toThrow('upstream unreachable');
    const next = await engine.attempt(call, T0 + 1, async (at) => ({
      value: 'ok',
      facts: attempted(at, 'wacid.3'),
    }));
    expect(next.ok).toBe(true);
  });

  it('`record` replaces the default ingest and still runs before the pair is released', async () => {
    const engine = await engineWithPermission();
    const recorded: unknown[] = [];
    const result = await engine.attempt(
      call,
      T0,
      async (at) => ({ value: 'connected', facts: attempted(at, 'wacid.R') }),
      {
        record: async (exchange) => {
          recorded.push(exchange.value);
          await engine.ingest(exchange.facts);
        },
      },
    );
    expect(result.ok).toBe(true);
    expect(recorded).toEqual(['connected']);
    expect((await engine.state(testPair, T0)).calls.has('wacid.R')).toBe(true);
  });
});

describe('KeyedMutex', () => {
  it('runs holders of one key one at a time in arrival order, and other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const step = (name: string, turns: number) => async () => {
      log.push(`${name}+`);
      await settle(turns);
      log.push(`${name}-`);
      return name;
    };
    const results = await Promise.all([
      mutex.run('a', step('a1', 50)),
      mutex.run('a', step('a2', 1)),
      mutex.run('b', step('b1', 1)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a2+')).toBeGreaterThan(log.indexOf('a1-'));
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'));
    expect(mutex.size).toBe(0);
  });

  it('a holder that throws releases the key', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await mutex.run('k', async () => 'next')).toBe('next');
  });
});
