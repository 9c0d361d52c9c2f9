import type { BusinessFact } from '../domain/facts.js';
import { businessStreamId } from '../domain/pair.js';
import type { PolicyBook } from '../policy/policy.js';
import { businessRuleEnv, type RuleEnv } from '../rules/businessSettings.js';
import type { FactStore, StoredHead } from './port.js';

/**
 * The rules' environment of each business (its policy and settings over time: `businessRuleEnv`), kept while
 * the version of its business stream is unchanged, so a query reads the business's facts only after they
 * change. Shared by every engine made with `withStore`.
 */
export class RuleEnvCache {
  private readonly envs = new Map<string, { readonly version: number; readonly env: RuleEnv }>();

  constructor(private readonly policy: PolicyBook) {}

  /**
   * The environment of `business` as of its business stream's `head`, with `added` business facts not yet
   * stored (then it is not kept: the commit may still fail).
   */
  async envFor(
    store: FactStore,
    business: string,
    head: StoredHead | undefined,
    added: readonly BusinessFact[],
  ): Promise<RuleEnv> {
    const version = head?.version ?? 0;
    const cached = this.envs.get(business);
    if (cached && cached.version === version && added.length === 0) return cached.env;
    const stored = version === 0 ? [] : ((await store.factsOf(businessStreamId(business))) as BusinessFact[]);
    const env = businessRuleEnv(this.policy, business, [...stored, ...added]);
    if (added.length === 0) this.envs.set(business, { version, env });
    return env;
  }
}
