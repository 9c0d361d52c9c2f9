// The two lifecycle machines, walked with xstate/graph: every reachable state and every transition is driven
// through the real fold (facts in, the view's state out), and the fold's lookup tables agree with xstate's
// own transition() on random event sequences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, initialTransition, setup, transition } from 'xstate';
import { createTestModel } from 'xstate/graph';
import type { PairFact } from '../domain/facts.js';
import { policyBook, policyFor } from '../policy/policy.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { fold } from '../rules/evolve.js';
import { initialPairState } from '../state/pairState.js';
import { facts, HOUR, T0, testPair } from '../test/builders.js';
import { requests } from '../views/requests.js';
import { permissionTable, requestTable } from './lifecycleTable.js';
import { type PermissionEvent, permissionEvents, permissionMachine } from './permissionMachine.js';
import { type RequestEvent, requestEvents, requestMachine } from './requestMachine.js';

const env: RuleEnv = { policyAt: policyFor(policyBook(), testPair.business), callbackEnabledAt: () => false };

/** A system under test: a pair's history that grows by one fact per event, and the lifecycle it shows. */
interface Sut<E extends string> {
  apply(event: E): void;
  lifecycle(): string;
}

/** The permission lifecycle of a pair, driven by grants, revokes and the clock. */
function permissionSut(): Sut<PermissionEvent> {
  let now = T0;
  const history: PairFact[] = [];
  const state = () => fold(initialPairState(testPair.business, testPair.user), history, env);
  return {
    apply(event) {
      now += HOUR;
      if (event === 'TemporaryGranted') history.push(facts.permissionGranted({ at: now }));
      else if (event === 'PermanentGranted')
        history.push(facts.permissionGranted({ at: now, permanent: true }));
      else if (event === 'Revoked') history.push(facts.permissionRevoked({ at: now }));
      else {
        // Time reaching the expiry is the event: the next fact at that instant applies it.
        now = state().permission.expiresAt as number;
        history.push(facts.userMessaged({ at: now }));
      }
    },
    lifecycle: () => state().permission.status,
  };
}

/** One request message (wamid.A), driven by statuses, answers, newer requests and the clock; read through `requests()`. */
function requestSut(): Sut<RequestEvent> {
  let now = T0;
  let newer = 0;
  const history: PairFact[] = [facts.requestSent({ at: now, requestId: 'wamid.A' })];
  const state = () => fold(initialPairState(testPair.business, testPair.user), history, env);
  return {
    apply(event) {
      now += HOUR;
      const requestId = 'wamid.A';
      if (event === 'Delivered') history.push(facts.requestDelivered({ at: now, requestId }));
      else if (event === 'Failed') history.push(facts.requestFailed({ at: now, requestId }));
      else if (event === 'Accepted') history.push(facts.permissionGranted({ at: now, requestId }));
      else if (event === 'Declined') history.push(facts.permissionDeclined({ at: now, requestId }));
      else if (event === 'Superseded') {
        const id = `wamid.NEWER${++newer}`;
        history.push(
          facts.requestSent({ at: now, requestId: id }),
          facts.requestDelivered({ at: now, requestId: id }),
        );
      } else now = state().requests.get(requestId)?.expiresAt as number;
    },
    lifecycle: () => requests(state(), now).find((r) => r.id === 'wamid.A')?.state ?? 'missing',
  };
}

/** Every transition the machine declares, as `from -EVENT-> to`. */
function declaredTransitions(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  for (const [name, node] of Object.entries(machine.root.states)) {
    for (const [event, definitions] of node.transitions) {
      for (const d of definitions) out.push(`${name} -${event}-> ${d.target?.[0]?.key ?? name}`);
    }
  }
  return out.sort();
}

const machines = [
  {
    name: 'permission',
    machine: permissionMachine as AnyStateMachine,
    events: permissionEvents as readonly string[],
    table: permissionTable as Record<string, Partial<Record<string, string>>>,
    sut: permissionSut as () => Sut<string>,
  },
  {
    name: 'request',
    machine: requestMachine as AnyStateMachine,
    events: requestEvents as readonly string[],
    table: requestTable as Record<string, Partial<Record<string, string>>>,
    sut: requestSut as () => Sut<string>,
  },
];

describe.each(machines)('the $name machine', ({ machine, events, table, sut }) => {
  const stateNames = Object.keys(machine.root.states);

  /** Walks `path` on a fresh SUT through xstate's test harness, checking the lifecycle after each step. */
  async function walk(
    path: ReturnType<ReturnType<typeof createTestModel>['getShortestPaths']>[number],
    exercised: Set<string>,
    visited: Set<string>,
  ) {
    const system = sut();
    const onEvent = Object.fromEntries(events.map((e) => [e, () => system.apply(e)]));
    const onState = Object.fromEntries(
      stateNames.map((s) => [
        s,
        () => {
          expect(system.lifecycle()).toBe(s);
          visited.add(s);
        },
      ]),
    );
    await path.test({ events: onEvent, states: onState });
    let from = String(machine.config.initial);
    for (const step of path.steps) {
      if (step.event.type === 'xstate.init') continue;
      exercised.add(`${from} -${step.event.type}-> ${String(step.state.value)}`);
      from = String(step.state.value);
    }
  }

  it('uses no `after` or `invoke` (createTestModel accepts it; it rejects a machine that has them)', () => {
    expect(() => createTestModel(machine)).not.toThrow();
    const timed = setup({}).createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } });
    expect(() => createTestModel(timed)).toThrow(/After events/);
    const invoking = setup({ actors: { child: setup({}).createMachine({}) } }).createMachine({
      initial: 'a',
      states: { a: { invoke: { src: 'child' } } },
    });
    expect(() => createTestModel(invoking)).toThrow(/Invocations/);
  });

  it('every reachable state is reached by the fold, on the shortest and on every simple path', async () => {
    expect(sut().lifecycle()).toBe(machine.config.initial);
    const model = createTestModel(machine);
    const visited = new Set<string>([String(machine.config.initial)]);
    const exercised = new Set<string>();
    for (const path of [...model.getShortestPaths(), ...model.getSimplePaths()])
      await walk(path, exercised, visited);
    expect([...visited].sort()).toEqual([...stateNames].sort());
  });

  it('every transition the machine declares is exercised through the fold, self-transitions included', async () => {
    const model = createTestModel(machine);
    const exercised = new Set<string>();
    const visited = new Set<string>();
    // Keep the paths that prefix longer ones: they are the shortest way to their own state.
    const shortest = model.getShortestPaths({ allowDuplicatePaths: true });
    for (const [from, row] of Object.entries(table)) {
      const reach = shortest.find((p) => p.state.value === from)?.steps.map((s) => s.event) ?? [];
      if (from !== machine.config.initial && reach.length === 0) continue;
      for (const event of Object.keys(row)) {
        for (const path of model.getPathsFromEvents([...reach, { type: event }]))
          await walk(path, exercised, visited);
      }
    }
    expect([...exercised].sort()).toEqual(declaredTransitions(machine));
  });

  it('the fold’s lookup table agrees with xstate’s transition() on random event sequences; no actions run', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...events), { maxLength: 25 }), (sequence) => {
        let [snapshot, initialActions] = initialTransition(machine);
        expect(initialActions).toEqual([]);
        let fast = String(snapshot.value);
        for (const event of sequence) {
          const [next, actions] = transition(machine, snapshot, { type: event });
          expect(actions).toEqual([]);
          snapshot = next;
          fast = table[fast]?.[event] ?? fast;
          expect(fast, `after ${event}`).toBe(String(snapshot.value));
        }
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
