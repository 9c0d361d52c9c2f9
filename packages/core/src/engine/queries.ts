// The query side: a pair's state at any instant, with the rules' environment it was folded with.
import { businessIdProblem, pairProblem } from '../boundary/identity.js';
import { type InstantInput, toInstant } from '../boundary/instant.js';
import { InvalidInput } from '../boundary/invalidInput.js';
import { businessStreamId, type Pair, pairStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import type { PairState } from '../state/pairState.js';
import type { EngineContext } from './context.js';
import { stateAt } from './refold.js';

/**
 * The pair's state at `given` and the rules' environment it was folded with, from one read of the two heads.
 * `copy`: a state of the caller's (else possibly the head's own, shared: not to be mutated). The pair and
 * the instant are checked first (InvalidInput).
 */
export async function stateWithEnv(
  ctx: EngineContext,
  pair: Pair,
  given: InstantInput,
  copy: boolean,
): Promise<{ state: PairState; env: RuleEnv; instant: Instant }> {
  const problem = pairProblem(pair);
  if (problem !== undefined) throw new InvalidInput(problem);
  const at = toInstant(given, 'at');
  const stream = pairStreamId(pair);
  const businessStream = businessStreamId(pair.business);
  const heads = await ctx.heads([stream, businessStream]);
  const env = await ctx.ruleEnv(pair.business, heads.get(businessStream));
  return {
    state: await stateAt(ctx.store, stream, pair, heads.get(stream), at, env, copy),
    env,
    instant: at,
  };
}

/** The rules' environment for a business: its policy and settings over time. */
export async function ruleEnvOf(ctx: EngineContext, business: string): Promise<RuleEnv> {
  const problem = businessIdProblem(business);
  if (problem !== undefined) throw new InvalidInput({ field: 'business', reason: problem });
  const stream = businessStreamId(business);
  return ctx.ruleEnv(business, (await ctx.heads([stream])).get(stream));
}
