// The Engine: one object for an embedding service, over the FactStore port. Each of its verbs is a module of
// its own (ingest, commandHandler, guard, queries, replay); this only holds what they share.
import type { InstantInput } from '../boundary/instant.js';
import type { Attempt, Command } from '../domain/commands.js';
import type { Fact } from '../domain/facts.js';
import type { Pair } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import type { PolicyBook } from '../policy/policy.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import type { PairState } from '../state/pairState.js';
import { type CallPermissionsView, callPermissions } from '../views/callPermissions.js';
import { type RequestView, requests } from '../views/requests.js';
import { type ExecuteResult, execute } from './commandHandler.js';
import { EngineContext, type EngineOptions } from './context.js';
import { type AttemptExchange, type AttemptOptions, type AttemptResult, attempt } from './guard.js';
import { type IngestOptions, type IngestResult, ingest } from './ingest.js';
import type { FactStore } from './port.js';
import { ruleEnvOf, stateWithEnv } from './queries.js';
import { replay } from './replay.js';

/**
 * The engine for embedding: an append-only fact log behind the FactStore port, folded per pair.
 * `ingest` records what happened, `execute` decides and records what the business wants, `attempt` guards
 * an upstream call, `state` answers at any instant. All of it takes time as an argument.
 */
export class Engine {
  private context: EngineContext;

  constructor(
    readonly store: FactStore,
    options: EngineOptions = {},
  ) {
    this.context = EngineContext.create(store, options);
  }

  /** The policy every fold of this engine is made under (a store keeps the one its heads were folded with). */
  get policy(): PolicyBook {
    return this.context.options.policy;
  }

  /**
   * The same engine (policy, options, caches) over another view of the same log, e.g. a store bound to one
   * transaction: batch after batch keeps what it learnt of each business.
   */
  withStore(store: FactStore): Engine {
    const engine = new Engine(store, this.context.options);
    engine.context = this.context.withStore(store);
    return engine;
  }

  /** See `ingest` (engine/ingest.ts). */
  ingest(facts: readonly Fact[], options?: IngestOptions): Promise<IngestResult> {
    return ingest(this.context, facts, options);
  }

  /** See `execute` (engine/commandHandler.ts). */
  execute(command: Command, when: InstantInput): Promise<ExecuteResult> {
    return execute(this.context, command, when);
  }

  /** The guard: see `attempt` (engine/guard.ts). */
  attempt<T>(
    given: Attempt,
    when: InstantInput,
    perform: (at: Instant) => Promise<AttemptExchange<T>>,
    options?: AttemptOptions<T>,
  ): Promise<AttemptResult<T>> {
    return attempt(this.context, given, when, perform, options);
  }

  /**
   * The pair's state folded from every fact at or before `at`: the caller's own copy. Queries take `at` as
   * Unix seconds or a Date, and check it and the pair as `execute` does (InvalidInput).
   */
  async state(pair: Pair, at: InstantInput): Promise<PairState> {
    return (await stateWithEnv(this.context, pair, at, true)).state;
  }

  /** Meta's `GET call_permissions` body for the pair at `at`. */
  async callPermissions(pair: Pair, at: InstantInput): Promise<CallPermissionsView> {
    const { state, env, instant } = await stateWithEnv(this.context, pair, at, false);
    return callPermissions(state, instant, env);
  }

  /** The pair's permission request messages and their lifecycle at `at`. */
  async requests(pair: Pair, at: InstantInput): Promise<RequestView[]> {
    const { state, instant } = await stateWithEnv(this.context, pair, at, false);
    return requests(state, instant);
  }

  /** The rules' environment for a business: its policy and settings (callback, calling) over time. */
  ruleEnv(business: string): Promise<RuleEnv> {
    return ruleEnvOf(this.context, business);
  }

  /** See `replay` (engine/replay.ts): every pair stream re-folded, after a rule fix or a policy change. */
  replay(onStream?: (done: number, total: number) => void): Promise<{ streams: number; facts: number }> {
    return replay(this.context, onStream);
  }
}
