// Checks of Meta's limits over a recorded log: how many counted events fall in the busiest window.

/** How many of `instants` fall in the window of `seconds` ending at each instant, at most (half-open windows). */
export function busiestWindow(instants: readonly number[], seconds: number): number {
  return Math.max(0, ...instants.map((t) => instants.filter((s) => s <= t && t < s + seconds).length));
}
