// Rolling windows and the limits counted over them. Half-open: an event at s counts in a window of W seconds
// while t < s + W. Both the request limits and the call limit are counted here.
import type { WindowLimit } from '../policy/policy.js';
import type { Instant } from './time.js';

/** Events in the window of `periodSeconds` that ends at `at`. `instants` are ascending. */
export function countInWindow(instants: readonly Instant[], periodSeconds: number, at: Instant): number {
  let n = 0;
  for (let i = instants.length - 1; i >= 0; i--) {
    const s = instants[i] as Instant;
    if (s > at) continue;
    if (at < s + periodSeconds) n++;
    else break;
  }
  return n;
}

/**
 * The first instant at which fewer than `max` of these places are still held, given the instant each stops
 * holding (any order). Undefined while the limit does not bind.
 */
export function bindingUntil(stopTimes: readonly Instant[], max: number): Instant | undefined {
  if (stopTimes.length < max) return undefined;
  const sorted = [...stopTimes].sort((a, b) => a - b);
  return sorted[sorted.length - max];
}

/** Inserts keeping ascending order; instants mostly arrive in order, so this is usually a push. */
export function insertSorted(list: Instant[], value: Instant): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as Instant) > value) i--;
  list.splice(i, 0, value);
}

export function removeOne(list: Instant[], value: Instant): void {
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
}

/** Drops instants that can no longer count in any window ending at or after `at`. */
export function pruneBefore(list: Instant[], horizon: Instant): void {
  let n = 0;
  while (n < list.length && (list[n] as Instant) <= horizon) n++;
  if (n > 0) list.splice(0, n);
}

/** One limit at an instant: how much of it is used, and while it is exhausted, when it stops binding. */
export interface LimitUse {
  readonly limit: WindowLimit;
  readonly usage: number;
  /** Set while the limit is exhausted: the instant it stops binding. */
  readonly until?: Instant;
}

/**
 * A limit's use at `at` by the `counted` instants (ascending) and by places held beside them, given as the
 * instants they stop holding (`extraStops`; they count in `until`, the caller adds them to `usage`).
 */
export function limitUse(
  limit: WindowLimit,
  counted: readonly Instant[],
  at: Instant,
  extraStops: readonly Instant[],
): LimitUse {
  const usage = countInWindow(counted, limit.periodSeconds, at);
  // Most limits are far from binding: the stop instants are only gathered when they could.
  if (usage + extraStops.length < limit.maxAllowed) return { limit, usage };
  const stops = [...extraStops];
  for (const s of counted) if (s <= at && at < s + limit.periodSeconds) stops.push(s + limit.periodSeconds);
  const until = bindingUntil(stops, limit.maxAllowed);
  return until === undefined ? { limit, usage } : { limit, usage, until };
}

export function exhausted(uses: readonly LimitUse[]): boolean {
  return uses.some((u) => u.usage >= u.limit.maxAllowed);
}

/** The instant every exhausted limit has stopped binding. */
export function retryAfterLimits(uses: readonly LimitUse[]): Instant | undefined {
  let latest: Instant | undefined;
  for (const u of uses) {
    if (u.usage >= u.limit.maxAllowed && u.until !== undefined) latest = Math.max(latest ?? u.until, u.until);
  }
  return latest;
}
