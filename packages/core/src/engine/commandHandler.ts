// The command handler: read the pair, decide, append the decision's facts with the version it was decided
// on; a race lost to another writer reads and decides again, so limits hold under concurrency.
import { checkCommand } from '../boundary/commandCheck.js';
import { type InstantInput, toInstant } from '../boundary/instant.js';
import type { Command, Decision } from '../domain/commands.js';
import { businessStreamId, type Pair, pairStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { commandFactKey, decision } from '../rules/decide.js';
import type { PairState } from '../state/pairState.js';
import type { EngineContext } from './context.js';
import { toldReader } from './feed.js';
import type { StoredHead } from './port.js';
import { foldBase, foldOnto, stateAt } from './refold.js';
import { retryLostRaces } from './retry.js';

/** The decision, the instant it was made and recorded at, and whether the command had been recorded before. */
export type ExecuteResult = Decision & { readonly at: Instant; readonly replayed?: boolean };

/** What a decision about a pair is made on: see `decisionBase`. */
export interface DecisionBase {
  readonly head: StoredHead | undefined;
  readonly at: Instant;
  readonly env: RuleEnv;
  /** Shared with the head: not to be mutated. */
  readonly state: PairState;
}

/**
 * What a decision about a pair asked for at `asked` is made on: the pair's head, the instant (never before
 * the pair's latest fact), the business's rules and the state at that instant.
 */
export async function decisionBase(ctx: EngineContext, pair: Pair, asked: Instant): Promise<DecisionBase> {
  const stream = pairStreamId(pair);
  const businessStream = businessStreamId(pair.business);
  const heads = await ctx.heads([stream, businessStream]);
  const head = heads.get(stream);
  const at = Math.max(asked, head?.state?.last?.at ?? asked);
  const env = await ctx.ruleEnv(pair.business, heads.get(businessStream));
  return { head, at, env, state: await stateAt(ctx.store, stream, pair, head, at, env, false) };
}

/**
 * Decides a command and records its facts; retried on a concurrent append, so limits hold. Commands of a
 * pair never go back in time: one asked for before the pair's latest fact is decided, and recorded, at that
 * fact's instant (`ExecuteResult.at`), so it sees every fact already in the log and no later decision can
 * be broken by it. `asked` is Unix seconds or a Date. A command or instant that cannot be meant (unknown
 * type, missing id, a channel Meta does not have, milliseconds, text) is an InvalidInput naming the field,
 * thrown before anything is read or stored; a refusal by Meta's rules is a Decision with `ok: false`.
 */
export async function execute(
  ctx: EngineContext,
  given: Command,
  when: InstantInput,
): Promise<ExecuteResult> {
  const command = checkCommand(given);
  const asked = toInstant(when, 'at');
  const stream = pairStreamId(command.pair);
  const key = commandFactKey(command);
  return retryLostRaces(ctx.options.maxAttempts, async () => {
    if ((await ctx.store.knownKeys([key])).has(key))
      return { ok: true, facts: [], replayed: true, at: asked };
    const { head, at, env, state } = await decisionBase(ctx, command.pair, asked);
    const decided = decision(state, command, at, env);
    if (!decided.ok || decided.facts.length === 0) return { ...decided, at };
    const told = ctx.options.changeFeed ? toldReader(ctx.store) : undefined;
    const base = await foldBase(ctx.store, stream, head, decided.facts, undefined, told);
    await ctx.commit([foldOnto(stream, base, head, decided.facts, env, ctx.options.checkpointEvery)]);
    return { ...decided, at };
  });
}
