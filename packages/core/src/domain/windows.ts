import type { Instant } from './time.js';

/**
 * Rolling windows, half-open: an event at s counts in a window of W seconds while t < s + W.
 * `instants` are ascending.
 */
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
