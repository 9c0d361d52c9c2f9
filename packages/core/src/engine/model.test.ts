// Model-based test: random scripts of business commands, user actions, call outcomes and clock moves run
// against the engine and against an independently written reference model; after every step the engine's
// GET body must equal the model's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../domain/commands.js';
import type { Policy } from '../policy/policy.js';
import { policyBook } from '../policy/policy.js';
import { policyArb } from '../test/arbitraries.js';
import { commands, DAY, facts, HOUR, T0, testPair, WEEK } from '../test/builders.js';
import { ReferenceModel, type Verdict } from '../test/referenceModel.js';
import { Engine } from './engine.js';
import { MemoryFactStore } from './memoryStore.js';

interface Real {
  readonly engine: Engine;
  /** Distinct ids for the calls and facts a run creates. */
  serial: number;
}

type Step = fc.AsyncCommand<ReferenceModel, Real>;

function sameVerdict(decision: Decision, verdict: Verdict): void {
  if (verdict.ok) expect(decision).toMatchObject({ ok: true });
  else {
    expect(decision.ok).toBe(false);
    if (!decision.ok) {
      expect({ code: decision.refusal.code, retryAt: decision.refusal.retryAt }).toEqual({
        code: verdict.code,
        retryAt: verdict.retryAt,
      });
    }
  }
}

async function compare(model: ReferenceModel, real: Real): Promise<void> {
  expect(await real.engine.callPermissions(testPair, model.now)).toEqual(model.view());
}

/**
 * Facts of one instant apply in a fixed order by type, not by arrival (a revoke after a grant of the same
 * second, whichever came first; see permission.test.ts). The model follows arrival order, so the user's
 * and Meta's facts here are a second apart; commands may share an instant with anything.
 */
let lastFactAt = Number.NEGATIVE_INFINITY;
function factInstant(model: ReferenceModel): number {
  if (model.now <= lastFactAt) model.now = lastFactAt + 1;
  lastFactAt = model.now;
  return model.now;
}

/** A step that changes both sides the same way, then compares them. */
function step(
  label: string,
  act: (model: ReferenceModel, real: Real) => Promise<void>,
  applies: (model: ReferenceModel) => boolean = () => true,
): Step {
  return {
    check: applies,
    async run(model, real) {
      await act(model, real);
      await compare(model, real);
    },
    toString: () => label,
  };
}

const sendRequest = fc.constantFrom('template', 'free_form').map((channel) =>
  step(`sendRequest(${channel})`, async (model, real) => {
    const requestId = `wamid.S${real.serial++}`;
    sameVerdict(
      await real.engine.execute(commands.sendRequest({ requestId, channel }), model.now),
      model.sendRequest(channel),
    );
  }),
);

const startCall = fc.constant(
  step('startCall', async (model, real) => {
    const callId = `wacid.B${real.serial++}`;
    sameVerdict(
      await real.engine.execute(commands.startCall({ callId }), model.now),
      model.startCall(callId),
    );
  }),
);

const callOutcome = fc
  .tuple(fc.constantFrom('connected', 'unanswered', 'rejected'), fc.nat())
  .map(([outcome, pick]) =>
    step(
      `${outcome}(#${pick})`,
      async (model, real) => {
        const ringing = [...model.ringing.keys()];
        const callId = ringing[pick % ringing.length] as string;
        const at = factInstant(model);
        const fact =
          outcome === 'connected'
            ? facts.callConnected({ at, callId })
            : outcome === 'unanswered'
              ? facts.callUnanswered({ at, callId })
              : facts.callRejected({ at, callId });
        await real.engine.ingest([fact]);
        if (outcome === 'connected') model.callConnected(callId);
        else model.callMissed(callId);
      },
      (model) => model.ringing.size > 0,
    ),
  );

const userMessaged = fc.constant(
  step('userMessaged', async (model, real) => {
    await real.engine.ingest([
      facts.userMessaged({ at: factInstant(model), messageId: `wamid.IN${real.serial++}` }),
    ]);
    model.userMessaged();
  }),
);

const userCalled = fc.boolean().map((connected) =>
  step(`userCalled(${connected ? 'connected' : 'missed'})`, async (model, real) => {
    const callId = `wacid.IN${real.serial++}`;
    const at = factInstant(model);
    await real.engine.ingest([
      facts.userCalled({ at, callId }),
      ...(connected ? [facts.callConnected({ at, callId, direction: 'user_initiated' })] : []),
    ]);
    model.userCalled(connected);
  }),
);

const grant = fc.boolean().map((permanent) =>
  step(`grant(${permanent ? 'permanent' : 'temporary'})`, async (model, real) => {
    const at = factInstant(model);
    await real.engine.ingest([facts.permissionGranted({ at, permanent, key: `grant${real.serial++}` })]);
    model.grant(permanent);
  }),
);

const revoke = fc.constant(
  step('revoke', async (model, real) => {
    const at = factInstant(model);
    await real.engine.ingest([facts.permissionRevoked({ at, key: `revoke${real.serial++}` })]);
    model.revoke();
  }),
);

const advance = fc
  .oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: DAY }), fc.constantFrom(HOUR, DAY, WEEK))
  .map((seconds) =>
    step(`advance(${seconds})`, async (model) => {
      model.now += seconds;
    }),
  );

/** Jumps to the next instant where something changes, or the second before it: where half-open intervals bite. */
const advanceToEdge = fc.tuple(fc.nat(), fc.constantFrom(-1, 0)).map(([pick, nudge]) =>
  step(
    `advanceToEdge(#${pick}${nudge})`,
    async (model) => {
      const edges = model.edges();
      const edge = edges[pick % edges.length] as number;
      model.now = Math.max(model.now, edge + nudge);
    },
    (model) => model.edges().length > 0,
  ),
);

const script = fc.commands(
  [
    sendRequest,
    startCall,
    startCall,
    callOutcome,
    callOutcome,
    userMessaged,
    userCalled,
    grant,
    revoke,
    advance,
    advanceToEdge,
    advanceToEdge,
  ],
  { maxCommands: 80, size: 'max' },
);

describe('model-based: the engine against a reference model', () => {
  it('after every step, callPermissions equals the model’s view', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.boolean(), script, async (policy: Policy, callbackOn, steps) => {
        const engine = new Engine(new MemoryFactStore(), { policy: policyBook(policy) });
        if (callbackOn) await engine.ingest([facts.callbackSettingChanged({ at: T0 - DAY, enabled: true })]);
        const model = new ReferenceModel(policy, callbackOn, T0);
        lastFactAt = Number.NEGATIVE_INFINITY;
        await fc.asyncModelRun(() => ({ model, real: { engine, serial: 0 } }), steps);
      }),
      { seed: 0xca11, numRuns: 1000 },
    );
  });
});
