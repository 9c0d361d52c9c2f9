// Materialising the changes time alone makes (a permission or request expires, a limit frees, the window
// closes): Meta sends nothing then, but callpermit knows the instant in advance. Each head keeps when its next
// such change is due (`nextChangeAt`); the store finds the due heads by an index, so a step costs what is due,
// not the number of pairs. Heads a business fact made stale are due too: they are re-folded, and what that
// changed in the past is told as corrections.
import { businessStreamId, parseStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import type { EngineContext } from './context.js';
import { toldReader } from './feed.js';
import type { StreamCommit } from './port.js';
import { foldBase, foldOnto } from './refold.js';
import { retryLostRaces } from './retry.js';

/** What one `materialise` did. */
export interface MaterialiseResult {
  /** Pair streams whose changes were written through `now`. */
  readonly streams: number;
  /** Changes written (corrections included). */
  readonly changes: number;
}

/** Heads read and committed together: one transaction each. */
export const MATERIALISE_BATCH = 500;

/**
 * Writes the changes time has made up to `now` for every pair whose next change is due, in batches of
 * `batch` heads, each one commit (a head another writer moves meanwhile is read again). With the feed off it
 * does nothing. The caller reads the clock: `now` is an instant like any other.
 */
export async function materialise(
  ctx: EngineContext,
  now: Instant,
  batch = MATERIALISE_BATCH,
): Promise<MaterialiseResult> {
  let streams = 0;
  let changes = 0;
  if (!ctx.options.changeFeed) return { streams, changes };
  for (;;) {
    const due = await ctx.store.dueStreams(now, batch);
    if (due.length === 0) break;
    const commits = await retryLostRaces(ctx.options.maxAttempts, () => materialiseOnce(ctx, due, now));
    streams += commits.length;
    for (const c of commits) changes += c.changes?.length ?? 0;
    // A step that found nothing left to do (another writer did it) ends here rather than asking again.
    if (due.length < batch || commits.length === 0) break;
  }
  return { streams, changes };
}

async function materialiseOnce(
  ctx: EngineContext,
  due: readonly string[],
  now: Instant,
): Promise<StreamCommit[]> {
  const businesses = [...new Set(due.map((s) => parseStreamId(s).business))];
  const heads = await ctx.heads([...due, ...businesses.map(businessStreamId)]);
  const commits: StreamCommit[] = [];
  const told = toldReader(ctx.store);
  for (const stream of due) {
    const head = heads.get(stream);
    if (!head?.state || head.nextChangeAt === null || head.nextChangeAt > now) continue;
    const business = parseStreamId(stream).business;
    const env = await ctx.ruleEnv(business, heads.get(businessStreamId(business)));
    const base = await foldBase(ctx.store, stream, head, [], undefined, told);
    commits.push(foldOnto(stream, base, head, [], env, ctx.options.checkpointEvery, now));
  }
  if (commits.length > 0) await ctx.commit(commits);
  return commits;
}
