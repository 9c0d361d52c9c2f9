// The Decider alone, synchronously, as Emmett's DeciderSpecification: given facts, when a command at an
// instant, then the facts it records or its refusal; and what the views answer at an instant. No engine, no
// store, no await: `evolve` folds the history, `decide` decides, the views read the state. Rule tests use it;
// the engine spec (spec.ts) is for what the Engine adds (ingest, arrival order, concurrency).
import { expect } from 'vitest';
import { factProblem } from '../boundary/factCheck.js';
import type { Command, Decision, ErrorCode } from '../domain/commands.js';
import { compareFacts, positionOf } from '../domain/factOrder.js';
import { type BusinessFact, type Fact, isBusinessFact, type PairFact } from '../domain/facts.js';
import { type Pair, pairStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import { defaultPolicyBook, type PolicyBook } from '../policy/policy.js';
import { businessRuleEnv, type RuleEnv } from '../rules/businessSettings.js';
import { decide } from '../rules/decide.js';
import { evolve } from '../rules/evolve.js';
import { initialPairState, type PairState, pairStateToJson } from '../state/pairState.js';
import { type CallPermissionsView, callPermissions } from '../views/callPermissions.js';
import { type RequestView, requests } from '../views/requests.js';
import { testPair } from './builders.js';

export interface ExpectedRefusal {
  readonly code: ErrorCode;
  /** Absent when only the user can change the answer. */
  readonly retryAt?: Instant;
}

export function refusal(code: ErrorCode, retryAt?: Instant): ExpectedRefusal {
  return retryAt === undefined ? { code } : { code, retryAt };
}

export interface GivenOptions {
  readonly policy?: PolicyBook;
}

/** A fact without its bookkeeping (idempotency key, source): what a decision is judged on. */
export function content(fact: Fact): Omit<Fact, 'key' | 'source'> {
  const { key: _key, source: _source, ...rest } = fact;
  return rest;
}

/** A history, and every fact the commands accepted in it recorded since. */
export class DeciderScenario {
  private readonly log: Fact[];

  constructor(
    history: readonly Fact[],
    private readonly options: GivenOptions,
  ) {
    this.log = [...history];
  }

  /** The rules' environment of a business: the policy and the business facts so far. */
  env(business: string): RuleEnv {
    const settings = this.log.filter((f): f is BusinessFact => isBusinessFact(f) && f.business === business);
    return businessRuleEnv(this.options.policy ?? defaultPolicyBook, business, settings);
  }

  /** The pair's state folded with `evolve` from its facts at or before `at`, in fact order. */
  stateAt(pair: Pair, at: Instant): PairState {
    const env = this.env(pair.business);
    const mine = this.log
      .filter(
        (f): f is PairFact => !isBusinessFact(f) && pairStreamId(f.pair) === pairStreamId(pair) && f.at <= at,
      )
      .sort(compareFacts);
    const state = initialPairState(pair.business, pair.user);
    for (const fact of mine) evolve(state, fact, env);
    return state;
  }

  when(command: Command, at: Instant): DeciderWhen {
    return new DeciderWhen(this, command, at);
  }

  at(at: Instant, pair: Pair = testPair): DeciderMoment {
    return new DeciderMoment(this, at, pair);
  }

  /** @internal What an accepted command recorded. */
  record(facts: readonly Fact[]): void {
    this.log.push(...facts);
  }

  /** @internal The latest instant of the pair's facts. */
  latest(pair: Pair): Instant | undefined {
    let latest: Instant | undefined;
    for (const f of this.log)
      if (!isBusinessFact(f) && pairStreamId(f.pair) === pairStreamId(pair))
        latest = Math.max(latest ?? f.at, f.at);
    return latest;
  }
}

export class DeciderWhen {
  constructor(
    private readonly scenario: DeciderScenario,
    private readonly command: Command,
    private readonly instant: Instant,
  ) {}

  /**
   * The command is allowed and records these facts (key and source aside). Each of them is a fact the
   * boundary accepts and `evolve` folds: the scenario holds them from now on, as the log would.
   */
  thenRecords(expected: readonly PairFact[]): Decision {
    const { decided, state, env } = this.decide();
    expect(decided, 'the command should be allowed').toMatchObject({ ok: true });
    if (!decided.ok) return decided;
    expect(decided.facts.map(content)).toEqual(expected.map(content));
    for (const fact of decided.facts) {
      expect(factProblem(fact), `${fact.type} as the boundary reads it`).toBeUndefined();
      evolve(state, fact, env);
      expect(state.last, `${fact.type} folded`).toEqual(positionOf(fact));
    }
    this.scenario.record(decided.facts);
    return decided;
  }

  /** The command is refused with this code and retryAt, and nothing happened: no fact, the state untouched. */
  thenRefuses(expected: ExpectedRefusal): Decision {
    const { decided, state, before } = this.decide();
    expect(decided, 'the command should be refused').toMatchObject({ ok: false });
    if (decided.ok) return decided;
    expect({ code: decided.refusal.code, retryAt: decided.refusal.retryAt }).toEqual({
      code: expected.code,
      retryAt: expected.retryAt,
    });
    expect(JSON.stringify(pairStateToJson(state)), 'decide leaves the state as it was').toBe(before);
    return decided;
  }

  private decide(): { decided: Decision; state: PairState; env: RuleEnv; before: string } {
    const pair = this.command.pair;
    const latest = this.scenario.latest(pair);
    if (latest !== undefined && latest > this.instant)
      throw new Error(
        `decide takes a state folded up to its instant: the pair has a fact at ${latest}, after ${this.instant} ` +
          '(the Engine decides such a command at its latest fact: use the engine spec)',
      );
    const state = this.scenario.stateAt(pair, this.instant);
    const env = this.scenario.env(pair.business);
    const before = JSON.stringify(pairStateToJson(state));
    return { decided: decide(state, this.command, this.instant, env), state, env, before };
  }
}

/** What the views answer about a pair at one instant, from its facts at or before it. */
export class DeciderMoment {
  constructor(
    private readonly scenario: DeciderScenario,
    private readonly instant: Instant,
    private readonly pair: Pair,
  ) {}

  /** Meta's `GET call_permissions` body. */
  view(): CallPermissionsView {
    return callPermissions(this.state(), this.instant, this.scenario.env(this.pair.business));
  }

  permission(): CallPermissionsView['permission'] {
    return this.view().permission;
  }

  action(name: 'send_call_permission_request' | 'start_call'): CallPermissionsView['actions'][number] {
    const found = this.view().actions.find((a) => a.action_name === name);
    if (!found) throw new Error(`the view has no action ${name}`);
    return found;
  }

  requests(): RequestView[] {
    return requests(this.state(), this.instant);
  }

  request(id: string): RequestView | undefined {
    return this.requests().find((r) => r.id === id);
  }

  state(): PairState {
    return this.scenario.stateAt(this.pair, this.instant);
  }
}

export function given(history: readonly Fact[] = [], options: GivenOptions = {}): DeciderScenario {
  return new DeciderScenario(history, options);
}
