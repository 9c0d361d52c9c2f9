// Replay: every pair stream re-folded from its facts, heads and checkpoints rewritten: after a rule fix or a
// policy change.
import type { PairFact } from '../domain/facts.js';
import { businessStreamId, parseStreamId } from '../domain/pair.js';
import { initialPairState } from '../state/pairState.js';
import type { EngineContext } from './context.js';
import { expectedOf, foldWithCheckpoints } from './refold.js';
import { retryLostRaces } from './retry.js';

/** Everything before any fact: a re-fold from the start drops every checkpoint. */
const BEFORE_EVERY_FACT = { at: Number.MIN_SAFE_INTEGER, rank: 0, key: '' };

/**
 * Re-folds every pair stream and rewrites its head and checkpoints. A stream another writer moves meanwhile
 * is read and folded again (a replay appends no facts, so only its head can be raced). Returns the number of
 * streams and facts folded.
 */
export async function replay(
  ctx: EngineContext,
  onStream?: (done: number, total: number) => void,
): Promise<{ streams: number; facts: number }> {
  const streams = (await ctx.store.streams()).filter((s) => parseStreamId(s).user !== '').sort();
  let facts = 0;
  for (const [i, stream] of streams.entries()) {
    facts += await retryLostRaces(ctx.options.maxAttempts, async () => {
      const { business, user } = parseStreamId(stream);
      const heads = await ctx.heads([stream, businessStreamId(business)]);
      const env = await ctx.ruleEnv(business, heads.get(businessStreamId(business)));
      const head = heads.get(stream);
      const all = (await ctx.store.factsOf(stream)) as PairFact[];
      const { state, checkpoints } = foldWithCheckpoints(
        initialPairState(business, user),
        all,
        env,
        ctx.options.checkpointEvery,
      );
      await ctx.commit([
        {
          stream,
          ...expectedOf(head),
          facts: [],
          state,
          checkpoints,
          dropCheckpointsFrom: BEFORE_EVERY_FACT,
        },
      ]);
      return all.length;
    });
    onStream?.(i + 1, streams.length);
  }
  return { streams: streams.length, facts };
}
