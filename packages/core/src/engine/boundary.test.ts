// The embedding boundary: what core's entry points do with inputs that cannot be meant. Each bullet of
// issue 17 as it was reproduced (packed packages, used as the README shows), then the invariants: a malformed
// command, fact or instant is refused with the field it breaks, and the store is exactly as it was.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PLAUSIBLE_INSTANTS } from '../boundary/instant.js';
import { InvalidInput } from '../boundary/invalidInput.js';
import type { Command } from '../domain/commands.js';
import type { Fact } from '../domain/facts.js';
import { defaultPolicyBook, policyFor } from '../policy/policy.js';
import { decide } from '../rules/decide.js';
import { initialPairState } from '../state/pairState.js';
import { factHistoryArb, instantArb } from '../test/arbitraries.js';
import { commands, DAY, facts, HOUR, T0, testPair } from '../test/builders.js';
import {
  badInstantArg,
  badSeconds,
  commandArb,
  malformedCommandArb,
  malformedFactArb,
  printableId,
} from '../test/malformed.js';
import { Engine } from './engine.js';
import { MemoryFactStore } from './memoryStore.js';
import type { FactStore } from './port.js';
import { StreamingReplay } from './streamingReplay.js';

/** What `Date.now()` gave on 2025-12-31T08:00:00Z. */
const T0_MS = T0 * 1000;

/** The InvalidInput a call threw (failing the test when it threw something else, or nothing). */
async function invalidInput(call: () => unknown): Promise<InvalidInput> {
  try {
    await call();
  } catch (error) {
    if (error instanceof InvalidInput) return error;
    throw new Error(`expected an InvalidInput, got ${String(error)}`);
  }
  throw new Error('expected an InvalidInput, but the call succeeded');
}

/** Everything a store holds that a caller can see: the log in order, and every stream's head. */
async function contents(store: FactStore) {
  const log = await store.readAll(0, 1_000_000);
  const heads = await store.heads(await store.streams());
  return { log, heads: [...heads.values()].sort((a, b) => (a.stream < b.stream ? -1 : 1)) };
}

/** An engine over a store holding a permanent grant, a user message and a request, so commands are allowed. */
async function engineWithHistory() {
  const store = new MemoryFactStore();
  const engine = new Engine(store);
  await engine.ingest([
    facts.permissionGranted({ at: T0, permanent: false }),
    facts.userMessaged({ at: T0 + 10 }),
  ]);
  return { store, engine };
}

describe('issue 17, as reproduced: each wrong input is refused with the field, and nothing is stored', () => {
  it('milliseconds (Date.now()) are refused, and the pair is not poisoned for later commands', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    const error = await invalidInput(() => engine.execute(commands.startCall(), T0_MS + 60_000));
    expect(error.field).toBe('at');
    expect(error.message).toMatch(/^at: 1767168060000 looks like milliseconds \(Date\.now\(\)\?\)/);
    expect(await contents(store)).toEqual(before);
    // Seconds, as meant: decided and recorded at that instant, not at a far-future one.
    const next = await engine.execute(commands.startCall({ callId: 'wacid.NEXT' }), T0 + 60);
    expect(next).toMatchObject({ ok: true, at: T0 + 60 });
    expect((await engine.state(testPair, T0 + 61)).last?.at).toBe(T0 + 60);
  });

  it('a fact whose instant is in milliseconds is rejected, naming the field; the rest applies', async () => {
    const engine = new Engine(new MemoryFactStore());
    const good = facts.userMessaged({ at: T0 });
    const inMs = facts.permissionGranted({ at: T0_MS, permanent: true });
    const result = await engine.ingest([good, inMs]);
    expect(result.applied).toBe(1);
    expect(result.rejected).toEqual([
      { fact: inMs, field: 'at', reason: expect.stringMatching(/looks like milliseconds/) },
    ]);
    expect((await engine.state(testPair, T0 + 1)).last?.at).toBe(T0);
  });

  it('an instant given as text is refused with a message that says to parse it', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    const error = await invalidInput(() =>
      engine.execute(commands.startCall(), '2026-01-01T12:00:00Z' as unknown as number),
    );
    expect(error).toMatchObject({ field: 'at' });
    expect(error.reason).toMatch(/parse it first \(parseInstant in @callpermit\/cloud-api/);
    expect(await contents(store)).toEqual(before);
  });

  it('an unknown command is an InvalidInput naming `type`, not a TypeError', async () => {
    const engine = new Engine(new MemoryFactStore());
    const error = await invalidInput(() => engine.execute({ type: 'Call' } as unknown as Command, T0));
    expect(error).toMatchObject({ field: 'type', name: 'InvalidInput' });
    expect(error.reason).toMatch(/"Call" is not a command type: SendPermissionRequest or StartCall/);
    expect(await invalidInput(() => engine.execute(undefined as unknown as Command, T0))).toMatchObject({
      field: '',
    });
  });

  it('a permission request over sms is refused: the channels are free_form and template', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    const sms = { ...commands.sendRequest(), channel: 'sms' } as unknown as Command;
    const error = await invalidInput(() => engine.execute(sms, T0 + 20));
    expect(error).toMatchObject({ field: 'channel' });
    expect(error.reason).toMatch(/free_form .* or template/);
    expect(await contents(store)).toEqual(before);
  });

  it('a call without callId is refused, instead of keying every such call `…:call:undefined`', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    const { callId: _, ...noId } = commands.startCall();
    expect(await invalidInput(() => engine.execute(noId as unknown as Command, T0 + 20))).toMatchObject({
      field: 'callId',
      reason: 'missing',
    });
    expect(
      await invalidInput(() => engine.execute(commands.startCall({ callId: '' }), T0 + 20)),
    ).toMatchObject({ field: 'callId', reason: 'empty' });
    expect(await contents(store)).toEqual(before);
  });

  it('a pair that is not Meta’s shape is refused: a phone number with +, a number, a lower-case BSUID', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    const call = (pair: unknown) => ({ type: 'StartCall', pair, callId: 'wacid.CALL1' }) as Command;
    expect(
      await invalidInput(() => engine.execute(call({ ...testPair, user: '+44 7700 900123' }), T0 + 20)),
    ).toMatchObject({ field: 'pair.user', reason: expect.stringMatching(/digits only/) });
    expect(
      await invalidInput(() => engine.execute(call({ ...testPair, business: 109876543210987 }), T0 + 20)),
    ).toMatchObject({ field: 'pair.business' });
    expect(
      await invalidInput(() =>
        engine.execute(call({ ...testPair, user: 'us.13491208655302741918' }), T0 + 20),
      ),
    ).toMatchObject({ field: 'pair.user' });
    expect(await invalidInput(() => engine.execute(call(undefined), T0 + 20))).toMatchObject({
      field: 'pair',
      reason: 'missing',
    });
    expect(await contents(store)).toEqual(before);
    // BSUIDs, and their parents, are users.
    const bsuid = { ...testPair, user: 'US.13491208655302741918' };
    await engine.ingest([facts.permissionGranted({ at: T0, pair: bsuid })]);
    expect(await engine.execute(call(bsuid), T0 + 20)).toMatchObject({ ok: true });
    expect(
      await engine.execute(call({ ...testPair, user: 'US.ENT.11815799212886844830' }), T0 + 20),
    ).toMatchObject({ ok: false, refusal: { code: 138006 } });
  });

  it('a Date is taken wherever an instant is (read to the second); an invalid Date is refused', async () => {
    const { engine } = await engineWithHistory();
    const result = await engine.execute(commands.startCall(), new Date((T0 + 20) * 1000 + 999));
    expect(result).toMatchObject({ ok: true, at: T0 + 20 });
    expect(await engine.callPermissions(testPair, new Date((T0 + 30) * 1000))).toEqual(
      await engine.callPermissions(testPair, T0 + 30),
    );
    expect(await engine.state(testPair, new Date((T0 + 30) * 1000))).toEqual(
      await engine.state(testPair, T0 + 30),
    );
    expect(await engine.requests(testPair, new Date((T0 + 30) * 1000))).toEqual([]);
    expect(await invalidInput(() => engine.state(testPair, new Date(Number.NaN)))).toMatchObject({
      field: 'at',
      reason: 'an invalid Date',
    });
  });

  it('the queries check the pair and the instant as execute does', async () => {
    const { engine } = await engineWithHistory();
    const phone = { ...testPair, user: '+447700900123' };
    for (const query of [engine.state, engine.callPermissions, engine.requests]) {
      const ask = query.bind(engine);
      expect(await invalidInput(() => ask(phone, T0))).toMatchObject({ field: 'pair.user' });
      expect(await invalidInput(() => ask(testPair, T0_MS))).toMatchObject({ field: 'at' });
      expect(await invalidInput(() => ask(testPair, 1.5))).toMatchObject({ field: 'at' });
    }
    expect(await invalidInput(() => engine.ruleEnv('b-1'))).toMatchObject({ field: 'business' });
  });

  it('decide, public in core, checks its command, its instant and that the state is the pair’s', () => {
    const env = { policyAt: policyFor(defaultPolicyBook, testPair.business), callbackEnabledAt: () => false };
    const state = initialPairState(testPair.business, testPair.user);
    expect(() => decide(state, { type: 'Call' } as unknown as Command, T0, env)).toThrow(InvalidInput);
    expect(() => decide(state, commands.startCall(), T0_MS, env)).toThrow(/^at: .*milliseconds/);
    const other = initialPairState(testPair.business, '447700900999');
    expect(() => decide(other, commands.startCall(), T0, env)).toThrow(
      /^state: folded for 109876543210987\/447700900999/,
    );
    expect(() => decide(state, commands.startCall(), T0, env, { kind: 'cli' } as never)).toThrow(
      /^source\.kind/,
    );
    expect(decide(state, commands.sendRequest(), new Date(T0 * 1000), env)).toMatchObject({
      ok: true,
      facts: [{ type: 'RequestSent', at: T0 }],
    });
  });

  it('ingest of something that is not a list is an InvalidInput; a non-fact in the list is rejected alone', async () => {
    const engine = new Engine(new MemoryFactStore());
    expect(await invalidInput(() => engine.ingest('[]' as unknown as Fact[]))).toMatchObject({
      field: 'facts',
    });
    const good = facts.userMessaged({ at: T0 });
    const result = await engine.ingest([null, good, 'RequestSent'] as unknown as Fact[]);
    expect(result.applied).toBe(1);
    expect(result.rejected.map((r) => [r.field, r.reason])).toEqual([
      ['', 'null is not a fact'],
      ['', 'the text "RequestSent" is not a fact'],
    ]);
  });

  it('StreamingReplay.add refuses a malformed fact with an InvalidInput and goes on with the next', async () => {
    const replay = new StreamingReplay();
    expect(() => replay.add(facts.userMessaged({ at: T0_MS }))).toThrow(/^at: .*milliseconds/);
    expect(() => replay.add({ ...facts.userMessaged({ at: T0 }), channel: 'x' } as Fact)).toThrow(
      /^channel: not a field of UserMessaged/,
    );
    expect(replay.add(facts.userMessaged({ at: T0 }))).toBe('buffered');
    const states = [...replay.states()];
    expect(states).toHaveLength(1);
    expect(states[0]?.factCount).toBe(1);
  });

  it('the plausible instants run from 2000 to 2100; a value there in milliseconds is named as such', () => {
    const { from, until } = PLAUSIBLE_INSTANTS;
    const engine = new Engine(new MemoryFactStore());
    return Promise.all([
      expect(engine.state(testPair, from)).resolves.toBeDefined(),
      expect(engine.state(testPair, until - 1)).resolves.toBeDefined(),
      expect(engine.state(testPair, from - 1)).rejects.toThrow(/before 2000-01-01T00:00:00Z/),
      expect(engine.state(testPair, until)).rejects.toThrow(/after 2100-01-01T00:00:00Z/),
      expect(engine.state(testPair, from * 1000)).rejects.toThrow(/milliseconds/),
      expect(engine.state(testPair, until * 1000)).rejects.toThrow(/after 2100-01-01T00:00:00Z/),
    ]);
  });
});

describe('invariants of the boundary (fast-check)', () => {
  it('a malformed command is refused with the field it breaks, and the store is exactly as it was', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    await fc.assert(
      fc.asyncProperty(malformedCommandArb, instantArb(), async ({ value, field }, at) => {
        const error = await invalidInput(() => engine.execute(value, at));
        expect(error.field).toBe(field);
        expect(error.message.startsWith(field === '' ? error.reason : `${field}: `)).toBe(true);
        expect(await contents(store)).toEqual(before);
      }),
      { seed: 1717, numRuns: 400 },
    );
  });

  it('an instant that cannot be meant is refused with `at`, whatever the command, and nothing is stored', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    await fc.assert(
      fc.asyncProperty(commandArb(printableId), badInstantArg, async (command, at) => {
        const error = await invalidInput(() => engine.execute(command, at as number));
        expect(error.field).toBe('at');
        if (
          typeof at === 'number' &&
          at >= PLAUSIBLE_INSTANTS.from * 1000 &&
          at < PLAUSIBLE_INSTANTS.until * 1000
        )
          expect(error.reason).toMatch(/milliseconds/);
        if (typeof at === 'string') expect(error.reason).toMatch(/parse it first/);
        expect(await contents(store)).toEqual(before);
      }),
      { seed: 1718, numRuns: 300 },
    );
  });

  it('malformed facts are rejected one by one, each with its field; the rest is stored as if they were never given', async () => {
    await fc.assert(
      fc.asyncProperty(
        factHistoryArb({ callbackChanges: true, maxLength: 20 }),
        fc.array(malformedFactArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        async (history, malformed, shuffle) => {
          const arrival: Fact[] = [...history];
          for (const [i, m] of malformed.entries())
            arrival.splice((shuffle + i * 7) % (arrival.length + 1), 0, m.value);
          const store = new MemoryFactStore();
          const result = await new Engine(store).ingest(arrival);
          expect(result.rejected.map((r) => [r.fact, r.field])).toEqual(
            arrival
              .filter((f) => !history.includes(f))
              .map((f) => [f, malformed.find((m) => m.value === f)?.field]),
          );
          expect(result.applied).toBe(history.length);
          const reference = new MemoryFactStore();
          await new Engine(reference).ingest(history);
          const key = (f: Fact) => f.key;
          expect(
            (await contents(store)).log.map((r) => r.fact).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
          ).toEqual(
            (await contents(reference)).log.map((r) => r.fact).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
          );
          const at = T0 + 4 * 7 * DAY;
          expect(await new Engine(store).state(testPair, at)).toEqual(
            await new Engine(reference).state(testPair, at),
          );
        },
      ),
      { seed: 1719, numRuns: 150 },
    );
  });

  it('a batch of malformed facts leaves a store exactly as it was', async () => {
    const { store, engine } = await engineWithHistory();
    const before = await contents(store);
    await fc.assert(
      fc.asyncProperty(fc.array(malformedFactArb, { minLength: 1, maxLength: 8 }), async (malformed) => {
        const result = await engine.ingest(malformed.map((m) => m.value));
        expect(result).toMatchObject({ applied: 0, duplicates: 0, conflicts: [] });
        expect(result.rejected.map((r) => r.field)).toEqual(malformed.map((m) => m.field));
        expect(await contents(store)).toEqual(before);
      }),
      { seed: 1720, numRuns: 200 },
    );
  });

  it('well-formed commands are never refused as input, and ids are opaque: ids differing in any way are two commands', async () => {
    await fc.assert(
      fc.asyncProperty(
        commandArb(printableId),
        printableId,
        fc.oneof(
          instantArb(),
          instantArb().map((t) => new Date(t * 1000 + 500)),
        ),
        async (command, otherId, at) => {
          const seconds = typeof at === 'number' ? at : Math.floor(at.getTime() / 1000);
          const engine = new Engine(new MemoryFactStore());
          // Calls need a permission; free-form requests an open customer-service window (and no permanent grant).
          await engine.ingest([
            command.type === 'StartCall'
              ? facts.permissionGranted({ at: seconds - HOUR, pair: command.pair, permanent: true })
              : facts.userMessaged({ at: seconds - HOUR, pair: command.pair }),
          ]);
          const first = await engine.execute(command, at);
          expect(first).toMatchObject({ ok: true, at: seconds });
          const id = command.type === 'StartCall' ? command.callId : command.requestId;
          const other: Command =
            command.type === 'StartCall'
              ? { ...command, callId: otherId }
              : { ...command, requestId: otherId };
          const second = await engine.execute(other, at);
          // The same id is the same command, replayed; any other id is another command, decided on its own (a
          // second call is allowed, a second request in 24 h is over the limit).
          if (otherId === id) expect(second).toMatchObject({ ok: true, replayed: true });
          else if (command.type === 'StartCall')
            expect(second).toMatchObject({ ok: true, facts: [{ callId: otherId }] });
          else expect(second).toMatchObject({ ok: false, refusal: { code: 138009 } });
        },
      ),
      { seed: 1721, numRuns: 200 },
    );
  });

  it('numbers outside the plausible instants are never taken as seconds', () => {
    fc.assert(
      fc.property(badSeconds, (at) => {
        const replay = new StreamingReplay();
        expect(() => replay.add(facts.userMessaged({ at }))).toThrow(InvalidInput);
        expect(replay.held).toBe(0);
      }),
      { seed: 1722, numRuns: 300 },
    );
  });
});
