import { factProblem } from '../boundary/factCheck.js';
import { InvalidInput } from '../boundary/invalidInput.js';
import { compareFacts } from '../domain/factOrder.js';
import { type BusinessFact, type Fact, isBusinessFact, type PairFact } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { defaultPolicyBook, type PolicyBook } from '../policy/policy.js';
import { BusinessSettings, type RuleEnv } from '../rules/businessSettings.js';
import { evolve } from '../rules/evolve.js';
import { clonePairState, initialPairState, type PairState } from '../state/pairState.js';

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

/** A pair's state, and the rule environment of its business. */
interface PairStream {
  readonly state: PairState;
  readonly env: RuleEnv;
}

/**
 * Folds a whole capture in memory, streaming: every pair's state, with memory bounded by the reorder window
 * instead of by the history. Facts may arrive in any order and any number of times within the window; each
 * pair folds its facts in fact order once the watermark (newest instant seen − reorderSeconds) has passed
 * them. This is the in-memory replay of a capture file; the Engine is for random access and commands.
 *
 * Facts wait in buckets of fact time (a quarter of the window each) rather than in per-pair queues: taking a
 * fact is a push, and a bucket the watermark has passed is sorted and folded as a whole. Doing the pair
 * lookups and folds together, away from the translation of the lines, is what keeps the replay fast
 * (packages/bench, replay.memory).
 */
export class StreamingReplay {
  private readonly policy: PolicyBook;
  private readonly reorder: number;
  private readonly bucketSeconds: number;
  /** Facts not folded yet, by bucket: the bucket of a fact is floor(at / bucketSeconds). */
  private readonly buckets = new Map<number, PairFact[]>();
  /** Buckets below this one are folded; an accepted fact is never older than the watermark, so never in one. */
  private foldedBelow = Number.NEGATIVE_INFINITY;
  private heldTotal = 0;
  private ended = false;
  /** business → user → stream: two lookups, no key string built per fact. */
  private readonly pairs = new Map<string, Map<string, PairStream>>();
  private pairTotal = 0;
  private duplicateTotal = 0;
  /** Each business's settings, built as its facts arrive: its pairs' rule environment reads them as they grow. */
  private readonly settings = new Map<string, BusinessSettings>();
  /** Business facts are few: their keys are kept to drop duplicates on arrival. */
  private readonly businessKeys = new Set<string>();
  private newest = Number.NEGATIVE_INFINITY;

  constructor(options: StreamingReplayOptions = {}) {
    this.policy = options.policy ?? defaultPolicyBook;
    this.reorder = options.reorderSeconds ?? 8 * 86_400;
    this.bucketSeconds = Math.max(1, Math.floor(this.reorder / 4));
  }

  /** Facts behind this instant are folded, and a new fact behind it is too late. */
  get watermark(): Instant {
    return this.newest - this.reorder;
  }

  /**
   * Takes a fact. Duplicates are dropped when their bucket folds (a fact and its duplicate share key and
   * instant, so they wait in the same bucket). A fact behind the watermark is refused as too late: one
   * arriving that late is either new and out of order beyond the window, or a duplicate of a folded fact,
   * which would change nothing. A value that is not a well-formed fact (see `factProblem`) is an InvalidInput
   * naming the field, thrown before anything is taken: the replay goes on with the next fact.
   */
  add(fact: Fact): StreamingOutcome {
    if (this.ended) throw new Error('StreamingReplay: states() ended the replay; it takes no more facts');
    const problem = factProblem(fact);
    if (problem !== undefined) throw new InvalidInput(problem);
    if (fact.at < this.watermark) return 'too_late';
    if (fact.at > this.newest) this.newest = fact.at;
    if (isBusinessFact(fact)) {
      this.addBusinessFact(fact);
      return 'buffered';
    }
    const index = Math.floor(fact.at / this.bucketSeconds);
    let bucket = this.buckets.get(index);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(index, bucket);
    }
    bucket.push(fact);
    this.heldTotal++;
    const due = Math.floor(this.watermark / this.bucketSeconds);
    if (due > this.foldedBelow) this.foldBuckets(due);
    return 'buffered';
  }

  /** Every pair's state with all facts folded: the end of the capture (the replay takes no facts after it). */
  *states(): Generator<PairState> {
    this.ended = true;
    this.foldBuckets(Number.POSITIVE_INFINITY);
    for (const users of this.pairs.values()) for (const stream of users.values()) yield stream.state;
  }

  /**
   * One pair's state with every fact taken so far folded, or undefined when no fact named the pair. A copy:
   * the replay goes on as before.
   */
  state(business: string, user: string): PairState | undefined {
    const folded = this.pairs.get(business)?.get(user)?.state;
    const held: PairFact[] = [];
    for (const bucket of this.buckets.values())
      for (const fact of bucket)
        if (fact.pair.business === business && fact.pair.user === user) held.push(fact);
    if (folded === undefined && held.length === 0) return undefined;
    const state = folded ? clonePairState(folded) : initialPairState(business, user);
    this.foldInOrder(state, held.sort(compareFacts));
    return state;
  }

  /** The rules' environment of a business: its policy and its settings (callback, calling) over time. */
  ruleEnv(business: string): RuleEnv {
    return this.settingsOf(business).env;
  }

  /** Pairs folded so far: every pair the capture named once states() has run. */
  get pairCount(): number {
    return this.pairTotal;
  }

  /** Facts dropped as duplicates so far (counted as their buckets fold). */
  get duplicates(): number {
    return this.duplicateTotal;
  }

  /** Pair facts taken and not folded yet: what the reorder window holds in memory. */
  get held(): number {
    return this.heldTotal;
  }

  private settingsOf(business: string): BusinessSettings {
    let settings = this.settings.get(business);
    if (!settings) {
      settings = new BusinessSettings(this.policy, business);
      this.settings.set(business, settings);
    }
    return settings;
  }

  private addBusinessFact(fact: BusinessFact): void {
    if (this.businessKeys.has(fact.key)) {
      this.duplicateTotal++;
      return;
    }
    this.businessKeys.add(fact.key);
    this.settingsOf(fact.business).add(fact);
  }

  private stream(business: string, user: string): PairStream {
    let users = this.pairs.get(business);
    if (!users) {
      users = new Map();
      this.pairs.set(business, users);
    }
    let stream = users.get(user);
    if (!stream) {
      stream = { state: initialPairState(business, user), env: this.ruleEnv(business) };
      users.set(user, stream);
      this.pairTotal++;
    }
    return stream;
  }

  /** Folds the buckets below `due`, oldest first. */
  private foldBuckets(due: number): void {
    const ready: number[] = [];
    for (const index of this.buckets.keys()) if (index < due) ready.push(index);
    ready.sort((a, b) => a - b);
    for (const index of ready) {
      const bucket = this.buckets.get(index) as PairFact[];
      this.buckets.delete(index);
      this.heldTotal -= bucket.length;
      this.foldBucket(bucket);
    }
    this.foldedBelow = due;
  }

  /**
   * A bucket's facts in fact order, each applied to its pair's state. Pairs are independent, so one order
   * over the whole bucket is each pair's fact order; and a fact's duplicates (same key, so same instant and
   * rank) sort next to it. Facts mostly arrive in order, which the sort handles in about one pass.
   */
  private foldBucket(bucket: PairFact[]): void {
    bucket.sort(compareFacts);
    let previous: PairFact | undefined;
    for (const fact of bucket) {
      if (previous !== undefined && previous.key === fact.key) this.duplicateTotal++;
      else {
        const stream = this.stream(fact.pair.business, fact.pair.user);
        evolve(stream.state, fact, stream.env);
      }
      previous = fact;
    }
  }

  /** Applies a pair's facts, in fact order, to a state: duplicates (the same key) sit next to each other. */
  private foldInOrder(state: PairState, facts: readonly PairFact[]): void {
    const env = this.ruleEnv(state.business);
    let previous: PairFact | undefined;
    for (const fact of facts) {
      if (previous === undefined || previous.key !== fact.key) evolve(state, fact, env);
      previous = fact;
    }
  }
}
