// Ingest: facts that happened, recorded once each and folded at their own instants. Planning an ingest is
// reading first (which facts the log holds, the heads, the business facts, the facts a late fact re-folds
// with), then folding, then one atomic commit; a race lost to another writer starts it again.
import { factProblem } from '../boundary/factCheck.js';
import { InvalidInput, shown } from '../boundary/invalidInput.js';
import { sameFact } from '../boundary/sameFact.js';
import { type BusinessFact, type Fact, isBusinessFact, type PairFact } from '../domain/facts.js';
import { businessStreamId, pairStreamId, parseStreamId } from '../domain/pair.js';
import { foldChangedFrom, type RuleEnv } from '../rules/businessSettings.js';
import type { EngineContext } from './context.js';
import { toldReader } from './feed.js';
import type { BusinessInvalidation, StreamCommit } from './port.js';
import { type FoldBase, foldBase, foldOnto } from './refold.js';
import { retryLostRaces } from './retry.js';

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
  /**
   * Called after each pair's fold with how many pairs are folded so far; a promise it returns is awaited before
   * the next fold. The folds of a large batch are otherwise one synchronous stretch (hundreds of milliseconds
   * for a replay's 32,000 lines), during which nothing the caller sent from `onReads` can leave for the
   * database: a caller that returns a turn of its event loop now and then lets those writes go out, and the
   * database store them, while the engine folds. The engine reads no clock: when to pause is the caller's.
   */
  readonly betweenFolds?: (folded: number) => Promise<void> | undefined;
}

/**
 * Records facts (any order, duplicates allowed): each applies at its own instant, and once. Each is checked
 * first: a malformed one is rejected with the field and the reason, and one whose key the log holds with
 * other content is a conflict; neither is stored, and the rest applies. A `facts` that is not an array is an
 * InvalidInput.
 */
export async function ingest(
  ctx: EngineContext,
  facts: readonly Fact[],
  options: IngestOptions = {},
): Promise<IngestResult> {
  if (!Array.isArray(facts))
    throw new InvalidInput({ field: 'facts', reason: `${shown(facts)} is not an array of facts` });
  return retryLostRaces(ctx.options.maxAttempts, () => ingestOnce(ctx, facts, options));
}

/** The facts of one ingest sorted out against the log: new ones, duplicates, refused, conflicting. */
interface Sorted extends IngestReads {
  readonly fresh: readonly Fact[];
  readonly duplicates: number;
}

/** The facts of one ingest that can be stored, each key once, and the rest: refused, or a key seen before. */
interface Checked {
  readonly unique: ReadonlyMap<string, Fact>;
  /** Facts whose key came earlier in this call: duplicates or conflicts, once the log's facts are known. */
  readonly again: readonly Fact[];
  readonly rejected: readonly RejectedFact[];
}

function check(facts: readonly Fact[]): Checked {
  const unique = new Map<string, Fact>();
  const again: Fact[] = [];
  const rejected: RejectedFact[] = [];
  for (const f of facts) {
    const problem = factProblem(f);
    if (problem !== undefined) rejected.push({ fact: f, field: problem.field, reason: problem.reason });
    else if (unique.has(f.key)) again.push(f);
    else unique.set(f.key, f);
  }
  return { unique, again, rejected };
}

async function sortOut(ctx: EngineContext, { unique, again, rejected }: Checked): Promise<Sorted> {
  const stored = await ctx.store.factsByKey([...unique.keys()]);
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
  return { known: new Set(stored.keys()), rejected, conflicts, fresh, duplicates };
}

function byStream(facts: readonly Fact[]): Map<string, Fact[]> {
  const out = new Map<string, Fact[]>();
  for (const f of facts) {
    const stream = isBusinessFact(f) ? businessStreamId(f.business) : pairStreamId(f.pair);
    const list = out.get(stream);
    if (list) list.push(f);
    else out.set(stream, [f]);
  }
  return out;
}

/** The streams the facts go to, and the business stream of each of their businesses. */
function streamsOf(streams: ReadonlyMap<string, readonly Fact[]>): string[] {
  const businesses = [...streams.keys()].map((s) => businessStreamId(parseStreamId(s).business));
  return [...new Set([...streams.keys(), ...businesses])];
}

async function ingestOnce(
  ctx: EngineContext,
  facts: readonly Fact[],
  options: IngestOptions,
): Promise<IngestResult> {
  // The heads of every stream the facts may go to are asked for with the facts the log holds, not after:
  // a driver that pipelines (PostgreSQL) answers both in one round trip. Those of facts that turn out known
  // are read for nothing.
  const checked = check(facts);
  const sorting = sortOut(ctx, checked);
  const reading = ctx.heads(streamsOf(byStream([...checked.unique.values()])));
  // Whichever fails first, the other is awaited too: nothing is left running unobserved.
  const [sorted, allHeads] = await Promise.allSettled([sorting, reading]);
  if (sorted.status === 'rejected') throw sorted.reason;
  if (allHeads.status === 'rejected') throw allHeads.reason;
  const { fresh, duplicates, ...reads } = sorted.value;
  if (fresh.length === 0) {
    options.onReads?.(reads);
    return { applied: 0, duplicates, ...reads };
  }

  const streams = byStream(fresh);
  const businesses = new Set([...streams.keys()].map((s) => parseStreamId(s).business));
  const heads = allHeads.value;

  // Business facts: appended to their business stream; a callback setting re-folds the business's pairs from
  // its instant (this commit re-folds the pairs it touches; the store marks the others stale).
  const commits: StreamCommit[] = [];
  const invalidations: BusinessInvalidation[] = [];
  const refoldFrom = new Map<string, number>();
  const envs = new Map<string, RuleEnv>();
  for (const business of businesses) {
    const stream = businessStreamId(business);
    const added = (streams.get(stream) ?? []) as BusinessFact[];
    if (added.length > 0) {
      commits.push({
        stream,
        expectedVersion: heads.get(stream)?.version ?? 0,
        facts: added,
        state: null,
        checkpoints: [],
      });
      const from = foldChangedFrom(added);
      if (from !== undefined) {
        invalidations.push({ business, from });
        refoldFrom.set(business, from);
      }
    }
    envs.set(business, await ctx.ruleEnv(business, heads.get(stream), added));
  }

  // Every read before any fold (the facts a late fact re-folds with are read for all streams at once), so a
  // caller's own writes sent from onReads never hold up the fold.
  const pairs = [...streams].filter(([stream]) => parseStreamId(stream).user !== '');
  const told = ctx.options.changeFeed ? toldReader(ctx.store) : undefined;
  const bases: FoldBase[] = await Promise.all(
    pairs.map(([stream, list]) =>
      foldBase(
        ctx.store,
        stream,
        heads.get(stream),
        list as PairFact[],
        refoldFrom.get(parseStreamId(stream).business),
        told,
      ),
    ),
  );
  options.onReads?.(reads);
  for (const [i, [stream, list]] of pairs.entries()) {
    const env = envs.get(parseStreamId(stream).business) as RuleEnv;
    commits.push(
      foldOnto(
        stream,
        bases[i] as FoldBase,
        heads.get(stream),
        list as PairFact[],
        env,
        ctx.options.checkpointEvery,
      ),
    );
    const pause = options.betweenFolds?.(i + 1);
    if (pause !== undefined) await pause;
  }
  await ctx.commit(commits, invalidations);
  return { applied: fresh.length, duplicates, ...reads };
}
