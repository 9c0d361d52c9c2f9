// The engine spec: given(facts).when(command, at).then(expected) and given(facts).at(t).view(), run on a real
// Engine over a MemoryFactStore, so a spec exercises ingest, the fold, decide and the views together, with
// what the Engine adds (commands decided at the pair's latest fact, arrival in any order). Rule tests use
// the synchronous Decider spec (deciderSpec.ts); this one, where the Engine is what is tested.
import { expect } from 'vitest';
import type { Command } from '../domain/commands.js';
import type { Fact, PairFact } from '../domain/facts.js';
import type { Pair } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import type { ExecuteResult } from '../engine/commandHandler.js';
import { Engine } from '../engine/engine.js';
import { MemoryFactStore } from '../engine/memoryStore.js';
import type { PairState } from '../state/pairState.js';
import type { CallPermissionsView } from '../views/callPermissions.js';
import type { RequestView } from '../views/requests.js';
import { testPair } from './builders.js';
import { content, type ExpectedRefusal, type GivenOptions } from './deciderSpec.js';

export { type ExpectedRefusal, refusal } from './deciderSpec.js';

export class Scenario {
  private ready: Promise<Engine> | undefined;

  constructor(
    private readonly history: readonly Fact[],
    private readonly options: GivenOptions,
  ) {}

  /** The engine holding the history (and every command run so far in this scenario). */
  engine(): Promise<Engine> {
    this.ready ??= (async () => {
      const engine = new Engine(
        new MemoryFactStore(),
        this.options.policy ? { policy: this.options.policy } : {},
      );
      const result = await engine.ingest(this.history);
      if (result.rejected.length > 0) {
        throw new Error(`given: the engine rejected ${JSON.stringify(result.rejected)}`);
      }
      return engine;
    })();
    return this.ready;
  }

  when(command: Command, at: Instant): Attempt {
    return new Attempt(this, command, at);
  }

  at(at: Instant, pair: Pair = testPair): Moment {
    return new Moment(this, at, pair);
  }
}

export class Attempt {
  constructor(
    private readonly scenario: Scenario,
    private readonly command: Command,
    private readonly instant: Instant,
  ) {}

  /** Runs the command and checks the facts it records (key and source aside), or its refusal. */
  // biome-ignore lint/suspicious/noThenProperty: `then` is the spec's vocabulary; it refuses to act as a thenable.
  then(expected: readonly PairFact[] | ExpectedRefusal): Promise<ExecuteResult> {
    if (typeof expected === 'function') {
      throw new TypeError('an Attempt is not a promise: write `await given(…).when(…).then(expected)`');
    }
    return this.check(expected);
  }

  private async check(expected: readonly PairFact[] | ExpectedRefusal): Promise<ExecuteResult> {
    const engine = await this.scenario.engine();
    const result = await engine.execute(this.command, this.instant);
    if (isFactList(expected)) {
      expect(result, 'the command should be accepted').toMatchObject({ ok: true });
      if (result.ok) expect(result.facts.map(content)).toEqual(expected.map(content));
    } else {
      expect(result, 'the command should be refused').toMatchObject({ ok: false });
      if (!result.ok) {
        expect({ code: result.refusal.code, retryAt: result.refusal.retryAt }).toEqual({
          code: expected.code,
          retryAt: expected.retryAt,
        });
      }
    }
    return result;
  }
}

function isFactList(expected: readonly PairFact[] | ExpectedRefusal): expected is readonly PairFact[] {
  return Array.isArray(expected);
}

/** What the engine answers about a pair at one instant. */
export class Moment {
  constructor(
    private readonly scenario: Scenario,
    private readonly instant: Instant,
    private readonly pair: Pair,
  ) {}

  /** Meta's `GET call_permissions` body. */
  async view(): Promise<CallPermissionsView> {
    return (await this.scenario.engine()).callPermissions(this.pair, this.instant);
  }

  async permission(): Promise<CallPermissionsView['permission']> {
    return (await this.view()).permission;
  }

  async action(
    name: 'send_call_permission_request' | 'start_call',
  ): Promise<CallPermissionsView['actions'][number]> {
    const found = (await this.view()).actions.find((a) => a.action_name === name);
    if (!found) throw new Error(`the view has no action ${name}`);
    return found;
  }

  async requests(): Promise<RequestView[]> {
    return (await this.scenario.engine()).requests(this.pair, this.instant);
  }

  async request(id: string): Promise<RequestView | undefined> {
    return (await this.requests()).find((r) => r.id === id);
  }

  async state(): Promise<PairState> {
    return (await this.scenario.engine()).state(this.pair, this.instant);
  }
}

export function given(history: readonly Fact[] = [], options: GivenOptions = {}): Scenario {
  return new Scenario(history, options);
}
