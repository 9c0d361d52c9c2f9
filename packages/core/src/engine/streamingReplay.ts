import { applyFact } from '../domain/evolve.js';
import {
  type BusinessFact,
  compareFacts,
  type Fact,
  isBusinessFact,
  type PairFact,
} from '../domain/facts.js';
import { businessRuleEnv, type CallbackChange, type RuleEnv } from '../domain/rules.js';
import { initialPairState, type PairState } from '../domain/state.js';
import type { Instant } from '../domain/time.js';
import { defaultPolicyBook, type PolicyBook } from '../policy/policy.js';

export interface StreamingReplayOptions {
  readonly policy?: PolicyBook;
  /**
   * How late a fact may arrive, in fact time, behind the newest fact seen. Meta retries a webhook for up to
   * 7 days, so the default is 8 days. A fact later than that cannot be applied in order any more: it is
   * reported as too late, never applied out of order.
   */
  readonly reorderSeconds?: number;
}

export type StreamingOutcome = 'buffered' | 'too_late';

interface PairStream {
  readonly state: PairState;
  /** Facts not folded yet, in fact order: newer than the watermark, so one may still arrive before them. */
  readonly buffer: PairFact[];
}

/**
 * Folds a whole capture in memory, streaming: every pair's state, with memory bounded by the reorder window
 * instead of by the history. Facts may arrive in any order and any number of times within the window; each
 * pair folds its facts in fact order once the watermark (newest instant seen − reorderSeconds) has passed
 * them. This is the in-memory replay of a capture file; the Engine is for random access and commands.
 */
export class StreamingReplay {
  private readonly policy: PolicyBook;
  private readonly reorder: number;
  /** business → user → stream: two lookups, no key string built per fact. */
  private readonly pairs = new Map<string, Map<string, PairStream>>();
  private pairTotal = 0;
  private duplicateTotal = 0;
  private readonly callbacks = new Map<string, CallbackChange[]>();
  /** Business facts are few: their keys are kept to drop duplicates on arrival. */
  private readonly businessKeys = new Set<string>();
  private readonly envs = new Map<string, RuleEnv>();
  private newest = Number.NEGATIVE_INFINITY;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: StreamingReplayOptions = {}) {
    this.policy = options.policy ?? defaultPolicyBook;
    this.reorder = options.reorderSeconds ?? 8 * 86_400;
  }

  /** Facts behind this instant are folded, and a new fact behind it is too late. */
  get watermark(): Instant {
    return this.newest - this.reorder;
  }

  /**
   * Takes a fact. Duplicates are dropped when the pair folds (a fact and its duplicate share key and instant,
   * so both are still buffered until the watermark passes them). A fact behind the watermark is refused as
   * too late: one arriving that late is either new and out of order beyond the window, or a duplicate of a
   * folded fact, which would change nothing.
   */
  add(fact: Fact): StreamingOutcome {
    if (fact.at < this.watermark) return 'too_late';
    if (fact.at > this.newest) this.newest = fact.at;
    if (isBusinessFact(fact)) this.addBusinessFact(fact);
    else insertInOrder(this.pairStream(fact.pair.business, fact.pair.user).buffer, fact);
    // Every quarter window of fact time, fold what the watermark has passed and forget old keys.
    if (this.newest - this.lastSweep >= this.reorder / 4) this.sweep();
    return 'buffered';
  }

  /** Every pair's state with all facts folded (the end of the capture). */
  *states(): Generator<PairState> {
    for (const users of this.pairs.values()) {
      for (const stream of users.values()) {
        this.foldUpTo(stream, Number.POSITIVE_INFINITY);
        yield stream.state;
      }
    }
  }

  /** One pair's state with all facts folded, or undefined when the capture never named it. */
  state(business: string, user: string): PairState | undefined {
    const stream = this.pairs.get(business)?.get(user);
    if (!stream) return undefined;
    this.foldUpTo(stream, Number.POSITIVE_INFINITY);
    return stream.state;
  }

  /** The rules' environment of a business: its policy and the callback setting over time. */
  ruleEnv(business: string): RuleEnv {
    let env = this.envs.get(business);
    if (!env) {
      env = businessRuleEnv(this.policy, business, this.callbackChanges(business));
      this.envs.set(business, env);
    }
    return env;
  }

  get pairCount(): number {
    return this.pairTotal;
  }

  /** Facts dropped as duplicates so far (counted as pairs fold). */
  get duplicates(): number {
    return this.duplicateTotal;
  }

  /** The business's callback changes in time order; the rule environment reads this same array. */
  private callbackChanges(business: string): CallbackChange[] {
    let changes = this.callbacks.get(business);
    if (!changes) {
      changes = [];
      this.callbacks.set(business, changes);
    }
    return changes;
  }

  private addBusinessFact(fact: BusinessFact): void {
    if (this.businessKeys.has(fact.key)) {
      this.duplicateTotal++;
      return;
    }
    this.businessKeys.add(fact.key);
    if (fact.type !== 'CallbackSettingChanged') return;
    const changes = this.callbackChanges(fact.business);
    changes.push({ at: fact.at, enabled: fact.enabled });
    changes.sort((a, b) => a.at - b.at);
  }

  private pairStream(business: string, user: string): PairStream {
    let users = this.pairs.get(business);
    if (!users) {
      users = new Map();
      this.pairs.set(business, users);
    }
    let stream = users.get(user);
    if (!stream) {
      stream = { state: initialPairState(business, user), buffer: [] };
      users.set(user, stream);
      this.pairTotal++;
    }
    return stream;
  }

  private foldUpTo(stream: PairStream, until: Instant): void {
    if (stream.buffer.length === 0) return;
    let n = 0;
    while (n < stream.buffer.length && (stream.buffer[n] as PairFact).at < until) n++;
    if (n === 0) return;
    const env = this.ruleEnv(stream.state.business);
    let previous: PairFact | undefined;
    for (let i = 0; i < n; i++) {
      const fact = stream.buffer[i] as PairFact;
      // The same key is the same fact: after sorting, its duplicates sit next to it.
      if (previous !== undefined && previous.key === fact.key) this.duplicateTotal++;
      else applyFact(stream.state, fact, env);
      previous = fact;
    }
    if (n === stream.buffer.length) stream.buffer.length = 0;
    else stream.buffer.splice(0, n);
  }

  private sweep(): void {
    this.lastSweep = this.newest;
    const watermark = this.watermark;
    for (const users of this.pairs.values())
      for (const stream of users.values()) this.foldUpTo(stream, watermark);
  }
}

/** Facts mostly arrive in order: insert from the end, usually a push. */
function insertInOrder(buffer: PairFact[], fact: PairFact): void {
  let i = buffer.length;
  while (i > 0 && compareFacts(buffer[i - 1] as PairFact, fact) > 0) i--;
  if (i === buffer.length) buffer.push(fact);
  else buffer.splice(i, 0, fact);
}
