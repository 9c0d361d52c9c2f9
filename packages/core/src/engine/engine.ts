import { checkAttempt, checkCommand } from '../domain/commandCheck.js';
import type { Attempt, Command, Refusal } from '../domain/commands.js';
import { attemptRefusal, commandFactKey, type Decision, decision } from '../domain/decide.js';
import { applyFact } from '../domain/evolve.js';
import { factProblem } from '../domain/factCheck.js';
import {
  type BusinessFact,
  compareFacts,
  type Fact,
  isBusinessFact,
  type PairFact,
} from '../domain/facts.js';
import { businessIdProblem, pairProblem } from '../domain/identity.js';
import { type InstantInput, toInstant } from '../domain/instant.js';
import { InvalidInput, shown } from '../domain/invalidInput.js';
import { businessStreamId, type Pair, pairStreamId, parseStreamId } from '../domain/pair.js';
import { businessRuleEnv, type RuleEnv } from '../domain/rules.js';
import { sameFact } from '../domain/sameFact.js';
import { clonePairState, type FoldPosition, initialPairState, type PairState } from '../domain/state.js';
import type { Instant } from '../domain/time.js';
import { type CallPermissionsView, callPermissions, type RequestView, requests } from '../domain/views.js';
import { defaultPolicyBook, type PolicyBook } from '../policy/policy.js';
import { HeadCache } from './headCache.js';
import { comparePositions, positionOf } from './memoryStore.js';
import {
  type BusinessInvalidation,
  type Checkpoint,
  ConcurrencyError,
  DuplicateFactError,
  type FactStore,
  type StoredHead,
  type StreamCommit,
} from './port.js';

export interface EngineOptions {
  readonly policy?: PolicyBook;
  /** A checkpoint every this many facts of a stream, so a late fact re-folds a short tail. */
  readonly checkpointEvery?: number;
  /** Attempts of one ingest or command when other writers keep getting there first. */
  readonly maxAttempts?: number;
  /**
   * Stream heads kept between calls (default 10,000), so a query re-reads only a head's revision while the
   * head is unchanged; 0 turns the cache off. Each costs about its state's size in memory.
   */
  readonly headCacheSize?: number;
}

/**
 * A value handed to `ingest` that is not a fact core can store: `field` names what is wrong (`at`, `pair.user`,
 * `usage[0].action`; '' for the value as a whole) and `reason` says why. Nothing is dropped silently.
 */
export interface RejectedFact {
  /** What was given, as it was given (typed as a Fact for callers that built it as one). */
  readonly fact: Fact;
  readonly field: string;
  readonly reason: string;
}

/**
 * A fact whose idempotency key the log (or an earlier fact of the same call) holds with other content
 * (anything but `source`): not the same fact delivered twice, so not a duplicate. It is not applied and not
 * stored; `given` is handed back so the caller can keep it apart (the CLI reports the line, and its inbox
 * keeps the body).
 */
export interface FactConflict {
  readonly key: string;
  /** The fact the log holds under the key, else the first fact of the same `ingest` call with it (applied). */
  readonly stored: Fact;
  readonly given: Fact;
}

export interface IngestResult {
  readonly applied: number;
  /** Facts given again with the same key and the same content (source aside): applied once already. */
  readonly duplicates: number;
  readonly rejected: readonly RejectedFact[];
  readonly conflicts: readonly FactConflict[];
  /** The keys among those given that the log already held: what a caller needs to tell duplicates apart. */
  readonly known: ReadonlySet<string>;
}

/**
 * Which of the facts given to `ingest` the log held already, which were refused and which conflict with the
 * log: known before any fold.
 */
export interface IngestReads {
  readonly known: ReadonlySet<string>;
  readonly rejected: readonly RejectedFact[];
  readonly conflicts: readonly FactConflict[];
}

export interface IngestOptions {
  /**
   * Called on each attempt once the engine has read what it needs and before it folds and commits: a caller
   * with writes of its own in the same unit of work (a replay's inbox lines) can send them now, so the
   * database works on them while the engine folds. What it sends runs before the engine's commit.
   */
  readonly onReads?: (reads: IngestReads) => void;
}

/** The decision, the instant it was made and recorded at, and whether the command had been recorded before. */
export type ExecuteResult = Decision & { readonly at: Instant; readonly replayed?: boolean };

/** What an attempt's exchange (the upstream call) came to: the caller's value and the facts it established. */
export interface AttemptExchange<T> {
  readonly value: T;
  /** The facts the exchange established (a refused or failed exchange establishes none). */
  readonly facts: readonly Fact[];
}

export interface AttemptOptions<T> {
  /**
   * Records the exchange before the pair is released; by default `ingest(exchange.facts)`. A caller with an
   * inbox records the exchange itself together with its facts, in one transaction.
   */
  readonly record?: (exchange: AttemptExchange<T>) => Promise<unknown>;
}

/** Refused (nothing performed, nothing recorded), or allowed and performed: the instant it was decided at. */
export type AttemptResult<T> =
  | { readonly ok: true; readonly at: Instant; readonly value: T }
  | { readonly ok: false; readonly at: Instant; readonly refusal: Refusal };

const QUERY_EDGE = 99;

/**
 * What a commit expects of the head it was decided on: its version and, when there was one, its revision, so
 * a head re-folded or marked stale meanwhile (same version) makes the commit a conflict, not an overwrite.
 */
function expectedOf(
  head: StoredHead | undefined,
): Pick<StreamCommit, 'expectedVersion' | 'expectedRevision'> {
  return head ? { expectedVersion: head.version, expectedRevision: head.revision } : { expectedVersion: 0 };
}

/** What a pair stream's new facts fold from: see `Engine.foldBase`. */
interface FoldBase {
  /** The new facts in fact order. */
  readonly sorted: readonly PairFact[];
  /** Set when they do not all come after the head: re-fold from this checkpoint with the facts since. */
  readonly refold?: {
    readonly from: FoldPosition;
    readonly checkpoint: Checkpoint | undefined;
    readonly old: readonly PairFact[];
  };
}

interface BusinessEnv {
  readonly version: number;
  readonly env: RuleEnv;
}

/**
 * The engine for embedding: an append-only fact log behind the FactStore port, folded per pair.
 * `ingest` records what happened, `execute` decides and records what the business wants, `state` answers
 * at any instant. All of it takes time as an argument.
 */
export class Engine {
  /** The policy every fold of this engine is made under (a store keeps the one its heads were folded with). */
  readonly policy: PolicyBook;
  private readonly checkpointEvery: number;
  private readonly maxAttempts: number;
  private readonly headCacheSize: number;
  private businessEnvs = new Map<string, BusinessEnv>();
  /** Made on first use: an engine from `withStore` shares its parent's instead. */
  private sharedHeads: HeadCache | undefined;

  constructor(
    readonly store: FactStore,
    options: EngineOptions = {},
  ) {
    this.policy = options.policy ?? defaultPolicyBook;
    this.checkpointEvery = options.checkpointEvery ?? 64;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.headCacheSize = options.headCacheSize ?? 10_000;
  }

  private get headCache(): HeadCache {
    this.sharedHeads ??= new HeadCache(this.headCacheSize);
    return this.sharedHeads;
  }

  /**
   * The same engine (policy, options, caches) over another view of the same log, e.g. a store bound to one
   * transaction: batch after batch keeps what it learnt of each business.
   */
  withStore(store: FactStore): Engine {
    const engine = new Engine(store, {
      policy: this.policy,
      checkpointEvery: this.checkpointEvery,
      maxAttempts: this.maxAttempts,
      headCacheSize: this.headCacheSize,
    });
    engine.businessEnvs = this.businessEnvs;
    engine.sharedHeads = this.headCache;
    return engine;
  }

  /**
   * Records facts (any order, duplicates allowed): each applies at its own instant, and once. Each is checked
   * first: a malformed one is rejected with the field and the reason, and one whose key the log holds with
   * other content is a conflict; neither is stored, and the rest applies. A `facts` that is not an array is an
   * InvalidInput.
   */
  async ingest(facts: readonly Fact[], options: IngestOptions = {}): Promise<IngestResult> {
    if (!Array.isArray(facts))
      throw new InvalidInput({ field: 'facts', reason: `${shown(facts)} is not an array of facts` });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tryIngest(facts, options);
      } catch (error) {
        if (
          !(error instanceof ConcurrencyError || error instanceof DuplicateFactError) ||
          attempt >= this.maxAttempts
        ) {
          throw error;
        }
      }
    }
  }

  private async tryIngest(facts: readonly Fact[], options: IngestOptions): Promise<IngestResult> {
    const unique = new Map<string, Fact>();
    /** Facts whose key came earlier in this call: duplicates or conflicts, once the log's facts are known. */
    const again: Fact[] = [];
    const rejected: RejectedFact[] = [];
    for (const f of facts) {
      const problem = factProblem(f);
      if (problem !== undefined) rejected.push({ fact: f, field: problem.field, reason: problem.reason });
      else if (unique.has(f.key)) again.push(f);
      else unique.set(f.key, f);
    }
    const stored = await this.store.factsByKey([...unique.keys()]);
    const known = new Set(stored.keys());
    const fresh: Fact[] = [];
    const conflicts: FactConflict[] = [];
    let duplicates = 0;
    // A fact is compared with the log's fact of its key, else with the first of the call's.
    const compare = (f: Fact, held: Fact) => {
      if (sameFact(held, f)) duplicates++;
      else conflicts.push({ key: f.key, stored: held, given: f });
    };
    for (const f of unique.values()) {
      const held = stored.get(f.key);
      if (held === undefined) fresh.push(f);
      else compare(f, held);
    }
    for (const f of again) compare(f, stored.get(f.key) ?? (unique.get(f.key) as Fact));
    const reads = { known, rejected, conflicts };
    if (fresh.length === 0) {
      options.onReads?.(reads);
      return { applied: 0, duplicates, ...reads };
    }

    const byStream = new Map<string, Fact[]>();
    for (const f of fresh) {
      const stream = isBusinessFact(f) ? businessStreamId(f.business) : pairStreamId(f.pair);
      const list = byStream.get(stream);
      if (list) list.push(f);
      else byStream.set(stream, [f]);
    }
    const businesses = new Set([...byStream.keys()].map((s) => parseStreamId(s).business));
    const heads = await this.heads([
      ...new Set([...byStream.keys(), ...[...businesses].map(businessStreamId)]),
    ]);

    const commits: StreamCommit[] = [];
    const invalidations: BusinessInvalidation[] = [];
    const refoldFrom = new Map<string, Instant>();
    for (const business of businesses) {
      const stream = businessStreamId(business);
      const added = (byStream.get(stream) ?? []) as BusinessFact[];
      if (added.length === 0) continue;
      commits.push({
        stream,
        expectedVersion: heads.get(stream)?.version ?? 0,
        facts: added,
        state: null,
        checkpoints: [],
      });
      const changes = added.filter((f) => f.type === 'CallbackSettingChanged');
      if (changes.length > 0) {
        const from = Math.min(...changes.map((f) => f.at));
        invalidations.push({ business, from });
        refoldFrom.set(business, from);
      }
    }
    const envs = new Map<string, RuleEnv>();
    for (const business of businesses) {
      const added = (byStream.get(businessStreamId(business)) ?? []) as BusinessFact[];
      envs.set(business, await this.envFor(business, heads.get(businessStreamId(business)), added));
    }
    // Every read before any fold (the facts a late fact re-folds with are read for all streams at once), so a
    // caller's own writes sent from onReads never hold up the fold.
    const pairs = [...byStream].filter(([stream]) => parseStreamId(stream).user !== '');
    const bases = await Promise.all(
      pairs.map(([stream, list]) =>
        this.foldBase(
          stream,
          heads.get(stream),
          list as PairFact[],
          refoldFrom.get(parseStreamId(stream).business),
        ),
      ),
    );
    options.onReads?.(reads);
    for (const [i, [stream, list]] of pairs.entries()) {
      const env = envs.get(parseStreamId(stream).business) as RuleEnv;
      commits.push(this.foldOnto(stream, bases[i] as FoldBase, heads.get(stream), list as PairFact[], env));
    }
    await this.commit(commits, invalidations);
    return { applied: fresh.length, duplicates, ...reads };
  }

  /**
   * Decides a command and records its facts; retried on a concurrent append, so limits hold. Commands of a
   * pair never go back in time: one asked for before the pair's latest fact is decided, and recorded, at that
   * fact's instant (`ExecuteResult.at`), so it sees every fact already in the log and no later decision can
   * be broken by it. `asked` is Unix seconds or a Date. A command or instant that cannot be meant (unknown
   * type, missing id, a channel Meta does not have, milliseconds, text) is an InvalidInput naming the field,
   * thrown before anything is read or stored; a refusal by Meta's rules is a Decision with `ok: false`.
   */
  async execute(given: Command, when: InstantInput): Promise<ExecuteResult> {
    const command = checkCommand(given);
    const asked = toInstant(when, 'at');
    const stream = pairStreamId(command.pair);
    for (let attempt = 1; ; attempt++) {
      const key = commandFactKey(command);
      if ((await this.store.knownKeys([key])).has(key))
        return { ok: true, facts: [], replayed: true, at: asked };
      const { head, at, env, state } = await this.decisionBase(command.pair, asked);
      const decided = decision(state, command, at, env);
      if (!decided.ok || decided.facts.length === 0) return { ...decided, at };
      try {
        const base = await this.foldBase(stream, head, decided.facts);
        await this.commit([this.foldOnto(stream, base, head, decided.facts, env)]);
        return { ...decided, at };
      } catch (error) {
        if (
          !(error instanceof ConcurrencyError || error instanceof DuplicateFactError) ||
          attempt >= this.maxAttempts
        ) {
          throw error;
        }
      }
    }
  }

  /**
   * The guard: decides an attempt (a permission request or a call) and, only when it is allowed, performs it
   * and records what it established, all while holding the pair (`FactStore.exclusive`), so no other attempt
   * on the pair, in any process sharing the log, decides in between. The decision follows `decide`'s rules
   * at `max(asked, the pair's latest fact)`, the instant handed to `perform`; a refusal carries Meta's code
   * and `retryAt`, and nothing is performed or recorded. `perform` is the upstream exchange (the id of the
   * request or call exists only once Meta answers): its facts are recorded before the pair is released, so
   * the next attempt counts them. A `perform` that throws records nothing. The attempt and the instant are
   * checked as `execute` checks a command (InvalidInput), before the pair is held.
   */
  async attempt<T>(
    given: Attempt,
    when: InstantInput,
    perform: (at: Instant) => Promise<AttemptExchange<T>>,
    options: AttemptOptions<T> = {},
  ): Promise<AttemptResult<T>> {
    const attempt = checkAttempt(given);
    const asked = toInstant(when, 'at');
    return this.store.exclusive(pairStreamId(attempt.pair), async () => {
      const { at, env, state } = await this.decisionBase(attempt.pair, asked);
      const refusal = attemptRefusal(state, attempt, at, env);
      if (refusal) return { ok: false, at, refusal };
      const exchange = await perform(at);
      if (options.record) await options.record(exchange);
      else if (exchange.facts.length > 0) await this.ingest(exchange.facts);
      return { ok: true, at, value: exchange.value };
    });
  }

  /**
   * What a decision about a pair asked for at `asked` is made on: the pair's head, the instant (never before
   * the pair's latest fact), the business's rules and the state at that instant (shared: not to be mutated).
   */
  private async decisionBase(
    pair: Pair,
    asked: Instant,
  ): Promise<{ head: StoredHead | undefined; at: Instant; env: RuleEnv; state: PairState }> {
    const stream = pairStreamId(pair);
    const businessStream = businessStreamId(pair.business);
    const heads = await this.heads([stream, businessStream]);
    const head = heads.get(stream);
    const at = Math.max(asked, head?.state?.last?.at ?? asked);
    const env = await this.envFor(pair.business, heads.get(businessStream), []);
    return { head, at, env, state: await this.stateAt(stream, pair, head, at, env, false) };
  }

  /**
   * The pair's state folded from every fact at or before `at`: the caller's own copy. Queries take `at` as
   * Unix seconds or a Date, and check it and the pair as `execute` does (InvalidInput).
   */
  async state(pair: Pair, at: InstantInput): Promise<PairState> {
    return (await this.stateWithEnv(pair, at, true)).state;
  }

  /** Meta's `GET call_permissions` body for the pair at `at`. */
  async callPermissions(pair: Pair, at: InstantInput): Promise<CallPermissionsView> {
    const { state, env, instant } = await this.stateWithEnv(pair, at, false);
    return callPermissions(state, instant, env);
  }

  /** The pair's permission request messages and their lifecycle at `at`. */
  async requests(pair: Pair, at: InstantInput): Promise<RequestView[]> {
    const { state, instant } = await this.stateWithEnv(pair, at, false);
    return requests(state, instant);
  }

  /** The state and the rules' environment it was folded with, from one read of the two heads. */
  private async stateWithEnv(
    pair: Pair,
    given: InstantInput,
    copy: boolean,
  ): Promise<{ state: PairState; env: RuleEnv; instant: Instant }> {
    const problem = pairProblem(pair);
    if (problem !== undefined) throw new InvalidInput(problem);
    const at = toInstant(given, 'at');
    const stream = pairStreamId(pair);
    const businessStream = businessStreamId(pair.business);
    const heads = await this.heads([stream, businessStream]);
    const env = await this.envFor(pair.business, heads.get(businessStream), []);
    return { state: await this.stateAt(stream, pair, heads.get(stream), at, env, copy), env, instant: at };
  }

  /** The rules' environment for a business: its policy and callback setting over time. */
  async ruleEnv(business: string): Promise<RuleEnv> {
    const problem = businessIdProblem(business);
    if (problem !== undefined) throw new InvalidInput({ field: 'business', reason: problem });
    const stream = businessStreamId(business);
    return this.envFor(business, (await this.heads([stream])).get(stream), []);
  }

  /**
   * Re-folds every pair stream from its facts and rewrites heads and checkpoints: after a rule fix or a
   * policy change. Returns the number of streams and facts folded.
   */
  async replay(
    onStream?: (done: number, total: number) => void,
  ): Promise<{ streams: number; facts: number }> {
    const streams = (await this.store.streams()).filter((s) => parseStreamId(s).user !== '').sort();
    let facts = 0;
    for (const [i, stream] of streams.entries()) {
      for (let attempt = 1; ; attempt++) {
        const { business } = parseStreamId(stream);
        const heads = await this.heads([stream, businessStreamId(business)]);
        const env = await this.envFor(business, heads.get(businessStreamId(business)), []);
        const head = heads.get(stream);
        const all = (await this.store.factsOf(stream)) as PairFact[];
        const { state, checkpoints } = this.foldWithCheckpoints(
          initialPairState(business, parseStreamId(stream).user),
          all,
          env,
          undefined,
        );
        try {
          await this.commit([
            {
              stream,
              ...expectedOf(head),
              facts: [],
              state,
              checkpoints,
              dropCheckpointsFrom: { at: Number.MIN_SAFE_INTEGER, rank: 0, key: '' },
            },
          ]);
          facts += all.length;
          break;
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || attempt >= this.maxAttempts) throw error;
        }
      }
      onStream?.(i + 1, streams.length);
    }
    return { streams: streams.length, facts };
  }

  /** The stores' heads, through the cache: unchanged heads come back without their states being read. */
  private async heads(streams: readonly string[]): Promise<ReadonlyMap<string, StoredHead>> {
    const heads = await this.store.heads(streams, this.headCache.lookup(streams));
    this.headCache.remember(heads);
    return heads;
  }

  private async commit(
    commits: readonly StreamCommit[],
    invalidations: readonly BusinessInvalidation[] = [],
  ): Promise<void> {
    this.headCache.remember(await this.store.commit(commits, invalidations));
  }

  private async envFor(
    business: string,
    head: StoredHead | undefined,
    added: readonly BusinessFact[],
  ): Promise<RuleEnv> {
    const version = head?.version ?? 0;
    const cached = this.businessEnvs.get(business);
    if (cached && cached.version === version && added.length === 0) return cached.env;
    const stored =
      version === 0 ? [] : ((await this.store.factsOf(businessStreamId(business))) as BusinessFact[]);
    const all = [...stored, ...added].sort(compareFacts);
    const changesOf = (type: 'CallbackSettingChanged' | 'CallingSettingChanged') =>
      all.flatMap((f) => (f.type === type ? [{ at: f.at, enabled: f.enabled }] : []));
    const env = businessRuleEnv(
      this.policy,
      business,
      changesOf('CallbackSettingChanged'),
      changesOf('CallingSettingChanged'),
    );
    if (added.length === 0) this.businessEnvs.set(business, { version, env });
    return env;
  }

  /**
   * The state at `at`: the head's own (shared, never to be mutated) when it is current and `copy` is false,
   * else a state of the caller's.
   */
  private async stateAt(
    stream: string,
    pair: Pair,
    head: StoredHead | undefined,
    at: Instant,
    env: RuleEnv,
    copy: boolean,
  ): Promise<PairState> {
    const state = head?.state;
    if (!state) return initialPairState(pair.business, pair.user);
    if (head.staleFrom === null && (state.last === null || at >= state.last.at))
      return copy ? clonePairState(state) : state;
    let bound: FoldPosition = { at, rank: QUERY_EDGE, key: '' };
    if (head.staleFrom !== null && head.staleFrom <= at) bound = { at: head.staleFrom, rank: -1, key: '' };
    const cp = await this.store.checkpointBefore(stream, bound);
    const range = cp ? { after: cp.position, until: at } : { until: at };
    const tail = (await this.store.factsOf(stream, range)) as PairFact[];
    const base = cp ? clonePairState(cp.state) : initialPairState(pair.business, pair.user);
    for (const f of tail) applyFact(base, f, env);
    return base;
  }

  /**
   * Where the facts `added` to a pair stream fold from: the head, when they all come after it; else the last
   * checkpoint before the earliest of them (a late fact, or a business fact at `businessFrom`), with the
   * stream's facts since then. Only this reads the store; `foldOnto` then folds without reading.
   */
  private async foldBase(
    stream: string,
    head: StoredHead | undefined,
    added: readonly PairFact[],
    businessFrom?: Instant,
  ): Promise<FoldBase> {
    const sorted = [...added].sort(compareFacts);
    const first = sorted[0] as PairFact;
    const last = head?.state?.last ?? null;
    let from: FoldPosition | undefined;
    const earlier = (p: FoldPosition) => {
      if (!from || comparePositions(p, from) < 0) from = p;
    };
    if (head?.staleFrom != null) earlier({ at: head.staleFrom, rank: -1, key: '' });
    if (businessFrom !== undefined && last && last.at >= businessFrom)
      earlier({ at: businessFrom, rank: -1, key: '' });
    if (last && comparePositions(positionOf(first), last) < 0) earlier(positionOf(first));
    if (from === undefined) return { sorted };
    const checkpoint = await this.store.checkpointBefore(stream, from);
    const old = (await this.store.factsOf(
      stream,
      checkpoint ? { after: checkpoint.position } : {},
    )) as PairFact[];
    return { sorted, refold: { from, checkpoint, old } };
  }

  /** The commit that adds `added` to a pair stream, folded from `base` (see `foldBase`). */
  private foldOnto(
    stream: string,
    base: FoldBase,
    head: StoredHead | undefined,
    added: readonly PairFact[],
    env: RuleEnv,
  ): StreamCommit {
    const { business, user } = parseStreamId(stream);
    if (base.refold === undefined) {
      const start = head?.state ? clonePairState(head.state) : initialPairState(business, user);
      const { state, checkpoints } = this.foldWithCheckpoints(start, base.sorted, env, undefined);
      return { stream, ...expectedOf(head), facts: added, state, checkpoints };
    }
    const { from, checkpoint, old } = base.refold;
    const tail = [...old, ...base.sorted].sort(compareFacts);
    const start = checkpoint ? clonePairState(checkpoint.state) : initialPairState(business, user);
    const { state, checkpoints } = this.foldWithCheckpoints(start, tail, env, from);
    return { stream, ...expectedOf(head), facts: added, state, checkpoints, dropCheckpointsFrom: from };
  }

  /** Folds in place, taking a checkpoint every `checkpointEvery` facts at or after `from`. */
  private foldWithCheckpoints(
    state: PairState,
    facts: readonly PairFact[],
    env: RuleEnv,
    from: FoldPosition | undefined,
  ): { state: PairState; checkpoints: Checkpoint[] } {
    const checkpoints: Checkpoint[] = [];
    for (const fact of facts) {
      applyFact(state, fact, env);
      if (state.facts % this.checkpointEvery === 0 && state.last) {
        if (!from || comparePositions(state.last, from) >= 0) {
          checkpoints.push({ position: { ...state.last }, state: clonePairState(state) });
        }
      }
    }
    return { state, checkpoints };
  }
}
