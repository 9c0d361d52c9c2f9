// `callpermit explore`: fast-check generates sequences of user and business actions, runs each through the
// simulator, and shrinks the first that reaches a named situation to a shortest one. The result is a
// scenario file whose last step expects the situation, so `simulate` replays it and its expectations pass.
import type { PolicyBook } from '@callpermit/core';
import fc from 'fast-check';
import { Document } from 'yaml';
import { NOTICE_NAMES } from './checks.js';
import { type Scenario, ScenarioError } from './scenario/read.js';
import type { Expectation, ScenarioFile, Step } from './scenario/schema.js';
import { type Simulation, type StepOutcome, simulate } from './simulator.js';

/** A situation explore can look for: where a run first reaches it, and what to expect there. */
export interface Goal {
  readonly name: string;
  readonly description: string;
  /** The index of the first step that reaches it, if the run does. */
  readonly reached: (sim: Simulation) => number | undefined;
  /** The expectations, true of that step, that show it. */
  readonly expect: (step: StepOutcome, sim: Simulation) => Expectation;
}

const refusedWith = (code: number) => (s: StepOutcome) => s.actions.some((a) => a.refusal?.code === code);
const noticed = (type: 'reconsider_prompted' | 'auto_revoked') => (s: StepOutcome) =>
  s.snapshot.notices.some((n) => n.type === type);
const firstStep = (sim: Simulation, test: (s: StepOutcome) => boolean) => {
  const found = sim.steps.findIndex(test);
  return found < 0 ? undefined : found;
};
const notices = (s: StepOutcome): Expectation => ({
  notices: s.snapshot.notices.map((n) => NOTICE_NAMES[n.type]),
});
const refusal = (s: StepOutcome): Expectation => ({ refused: s.actions.at(-1)?.refusal?.code ?? 0 });

/** A request that was declined at some step and is accepted at this one. */
function acceptedAfterDecline(sim: Simulation): { index: number; name: string } | undefined {
  const declined = new Set<string>();
  for (const [index, s] of sim.steps.entries()) {
    for (const [name, state] of Object.entries(s.snapshot.requests)) {
      if (state === 'accepted' && declined.has(name)) return { index, name };
      if (state === 'declined') declined.add(name);
    }
  }
  return undefined;
}

export const goals: readonly Goal[] = [
  {
    name: 'auto-revoked',
    description: 'unanswered calls in a row revoke the permission automatically',
    reached: (sim) => firstStep(sim, noticed('auto_revoked')),
    expect: (s) => ({ ...notices(s), permission: s.snapshot.view.permission.status }),
  },
  {
    name: 'reconsider-prompt',
    description: 'unanswered calls in a row make WhatsApp ask the user to reconsider',
    reached: (sim) => firstStep(sim, noticed('reconsider_prompted')),
    expect: (s) => ({ ...notices(s), unanswered_streak: s.snapshot.unansweredStreak }),
  },
  {
    name: 'request-limit-without-permission',
    description:
      'a permission request refused by the request limit (138009) while the user has given no permission',
    reached: (sim) =>
      firstStep(sim, (s) => refusedWith(138009)(s) && s.snapshot.view.permission.status === 'no_permission'),
    expect: (s) => ({ ...refusal(s), permission: 'no_permission', can_ask: false }),
  },
  {
    name: 'call-limit',
    description: 'a call refused by the connected-calls limit (138012)',
    reached: (sim) => firstStep(sim, refusedWith(138012)),
    expect: (s) => ({ ...refusal(s), can_call: false }),
  },
  {
    name: 'declined-then-accepted',
    description: 'the user declines a request, then accepts the same request before it expires',
    reached: (sim) => acceptedAfterDecline(sim)?.index,
    expect: (_s, sim) => {
      const found = acceptedAfterDecline(sim);
      return {
        requests: { [found?.name ?? '']: 'accepted' },
        permission: sim.steps[found?.index ?? 0]?.snapshot.view.permission.status ?? 'temporary',
      };
    },
  },
  {
    name: 'permanent-blocks-request',
    description: 'a permission request refused because a permanent permission exists (138017)',
    reached: (sim) => firstStep(sim, refusedWith(138017)),
    expect: (s) => ({ ...refusal(s), permission: 'permanent' }),
  },
  {
    name: 'free-form-outside-window',
    description: 'a free-form request refused outside the customer-service window (131047)',
    reached: (sim) => firstStep(sim, refusedWith(131047)),
    expect: (s) => refusal(s),
  },
  {
    name: 'request-superseded',
    description: 'a newer request reaches the user and supersedes an older one',
    reached: (sim) => firstStep(sim, (s) => Object.values(s.snapshot.requests).includes('superseded')),
    expect: (s) => ({
      requests: Object.fromEntries(
        Object.entries(s.snapshot.requests).filter(([, state]) => state === 'superseded'),
      ),
    }),
  },
];

/** One generated action, before request names are given out. */
type Action =
  | { do: 'user messages' }
  | { do: 'user calls'; outcome: 'connected' | 'missed' }
  | { do: 'grant'; permanent: boolean; answer: number }
  | { do: 'decline'; answer: number }
  | { do: 'revoke' }
  | { do: 'send request'; via: 'template' | 'free-form' }
  | { do: 'call'; outcome: 'connected' | 'unanswered' | 'rejected'; repeat: number }
  | { do: 'wait' }
  | { do: 'callback'; enabled: boolean };

const after = fc.constantFrom('1m', '1h', '1d', '3d');
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ do: 'user messages' as const }),
  fc.record({
    do: fc.constant('user calls' as const),
    outcome: fc.constantFrom('connected' as const, 'missed' as const),
  }),
  // answer 0: from the business profile; k: the k-th latest request sent.
  fc.record({ do: fc.constant('grant' as const), permanent: fc.boolean(), answer: fc.nat({ max: 2 }) }),
  fc.record({ do: fc.constant('decline' as const), answer: fc.integer({ min: 1, max: 2 }) }),
  fc.constant({ do: 'revoke' as const }),
  fc.record({
    do: fc.constant('send request' as const),
    via: fc.constantFrom('template' as const, 'free-form' as const),
  }),
  fc.record({
    do: fc.constant('call' as const),
    outcome: fc.constantFrom('connected' as const, 'unanswered' as const, 'rejected' as const),
    // Mostly one call; sometimes a run long enough to reach a daily limit of 100.
    repeat: fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 120 }) },
    ),
  }),
  fc.constant({ do: 'wait' as const }),
  fc.record({ do: fc.constant('callback' as const), enabled: fc.boolean() }),
);
const sequence = fc.array(fc.tuple(action, after), { minLength: 1, maxLength: 10 });

/** Scenario steps from generated actions: requests get names (r1, r2…); an answer to no request is dropped. */
function toSteps(actions: readonly [Action, string][]): Step[] {
  const sent: string[] = [];
  const steps: Step[] = [];
  for (const [a, gap] of actions) {
    const latest = (k: number) => sent[sent.length - k];
    switch (a.do) {
      case 'send request': {
        const request = `r${sent.length + 1}`;
        sent.push(request);
        steps.push({ do: 'send request', request, via: a.via, after: gap });
        break;
      }
      case 'grant': {
        const request = a.answer === 0 ? undefined : latest(a.answer);
        if (a.answer !== 0 && request === undefined) break;
        steps.push({ do: 'grant', ...(request ? { request } : {}), permanent: a.permanent, after: gap });
        break;
      }
      case 'decline': {
        const request = latest(a.answer);
        if (request !== undefined) steps.push({ do: 'decline', request, after: gap });
        break;
      }
      case 'call':
        steps.push({
          do: 'call',
          outcome: a.outcome,
          ...(a.repeat > 1 ? { repeat: a.repeat } : {}),
          after: gap,
        });
        break;
      case 'user calls':
        steps.push({ do: 'user calls', outcome: a.outcome, after: gap });
        break;
      case 'callback':
        steps.push({ do: 'callback', enabled: a.enabled, after: gap });
        break;
      default:
        steps.push({ do: a.do, after: gap });
    }
  }
  return steps;
}

function scenarioOf(data: ScenarioFile): Scenario {
  return { file: 'explore', data, position: () => ({ line: 1, column: 1 }) };
}

/** Runs the steps; a sequence the simulator cannot run (answering a refused request) reaches nothing. */
async function run(steps: Step[], policy: PolicyBook): Promise<Simulation | undefined> {
  try {
    return await simulate(scenarioOf({ scenario: 'explore', steps }), { policy, changeFeed: false });
  } catch (error) {
    if (error instanceof ScenarioError) return undefined;
    throw error;
  }
}

export interface Found {
  readonly goal: Goal;
  readonly seed: number;
  readonly scenario: ScenarioFile;
  /** The scenario file's text: YAML, with a comment saying how it was found. */
  readonly text: string;
}

/**
 * Searches for a shortest sequence reaching the goal, deterministically for a seed. Undefined when none was
 * found within `runs` sequences.
 */
export async function explore(
  goal: Goal,
  policy: PolicyBook,
  seed: number,
  options: { readonly runs?: number; readonly policyFile?: string } = {},
): Promise<Found | undefined> {
  const runs = options.runs ?? 2000;
  const result = await fc.check(
    fc.asyncProperty(sequence, async (actions) => {
      const sim = await run(toSteps(actions), policy);
      return sim === undefined || goal.reached(sim) === undefined;
    }),
    { seed, numRuns: runs, endOnFailure: false },
  );
  if (!result.failed || !result.counterexample) return undefined;
  const steps = toSteps(result.counterexample[0]);
  const sim = await run(steps, policy);
  const index = sim === undefined ? undefined : goal.reached(sim);
  if (sim === undefined || index === undefined) return undefined;
  const kept = steps.slice(0, index + 1);
  const last = kept[index] as Step;
  kept[index] = { ...last, expect: goal.expect(sim.steps[index] as StepOutcome, sim) };
  const scenario: ScenarioFile = {
    scenario: `${goal.name}: ${goal.description}`,
    rule: `found by callpermit explore --goal ${goal.name} --seed ${seed}`,
    ...(options.policyFile === undefined ? {} : { policy: options.policyFile }),
    steps: kept,
  };
  const doc = new Document(scenario);
  const how = `callpermit explore --goal ${goal.name}${options.policyFile ? ` --policy ${options.policyFile}` : ''} --seed ${seed}`;
  doc.commentBefore = ` Found by: ${how}\n Run it: callpermit simulate FILE`;
  return { goal, seed, scenario, text: doc.toString({ lineWidth: 0 }) };
}
