import type { BusinessFact } from '../domain/facts.js';
import { defaultPolicyBook, type PolicyBook } from '../policy/policy.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { HeadCache } from './headCache.js';
import type { BusinessInvalidation, FactStore, StoredHead, StreamCommit } from './port.js';
import { RuleEnvCache } from './ruleEnvCache.js';

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
 * What the engine's parts share: the store, the options, and what an engine keeps between calls (heads, rule
 * environments). Every read of heads and every commit goes through here, so the head cache sees them all.
 */
export class EngineContext {
  private constructor(
    readonly store: FactStore,
    readonly options: Required<EngineOptions>,
    private readonly headCache: HeadCache,
    private readonly ruleEnvs: RuleEnvCache,
  ) {}

  static create(store: FactStore, options: EngineOptions): EngineContext {
    const settled: Required<EngineOptions> = {
      policy: options.policy ?? defaultPolicyBook,
      checkpointEvery: options.checkpointEvery ?? 64,
      maxAttempts: options.maxAttempts ?? 20,
      headCacheSize: options.headCacheSize ?? 10_000,
    };
    return new EngineContext(
      store,
      settled,
      new HeadCache(settled.headCacheSize),
      new RuleEnvCache(settled.policy),
    );
  }

  /** The same options and caches over another view of the same log (a store bound to one transaction). */
  withStore(store: FactStore): EngineContext {
    return new EngineContext(store, this.options, this.headCache, this.ruleEnvs);
  }

  /** The store's heads, through the cache: unchanged heads come back without their states being read. */
  async heads(streams: readonly string[]): Promise<ReadonlyMap<string, StoredHead>> {
    const heads = await this.store.heads(streams, this.headCache.lookup(streams));
    this.headCache.remember(heads);
    return heads;
  }

  async commit(
    commits: readonly StreamCommit[],
    invalidations: readonly BusinessInvalidation[] = [],
  ): Promise<void> {
    this.headCache.remember(await this.store.commit(commits, invalidations));
  }

  /** The rules' environment of `business` as of its business stream's head, with `added` facts not yet stored. */
  ruleEnv(
    business: string,
    head: StoredHead | undefined,
    added: readonly BusinessFact[] = [],
  ): Promise<RuleEnv> {
    return this.ruleEnvs.envFor(this.store, business, head, added);
  }
}
