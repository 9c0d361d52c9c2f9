// Whether fuzzed input changed a global or a prototype (prototype pollution), with @fast-check/poisoning: it
// takes a picture of everything reachable from globalThis when first imported, and compares later.
import type { Tally } from '../scenario.js';

/**
 * Roots not to compare: the test runner's own state (`__vitest_…`), and Request and Response, which
 * @hono/node-server replaces on globalThis with its own when it serves (by design, for speed).
 */
const IGNORED = /^(?:__vitest.*|Request|Response)$/;

/** Takes the picture (the first call does): Node's lazy globals are read first, so reading them later is no change. */
export async function watchPoisoning(): Promise<void> {
  const global = globalThis as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(globalThis)) void global[name];
  await import('@fast-check/poisoning');
}

/** Counts a changed global or prototype as a violation. */
export async function checkPoisoning(tally: Tally): Promise<void> {
  const { assertNoPoisoning } = await import('@fast-check/poisoning');
  try {
    assertNoPoisoning({ ignoredRootRegex: IGNORED });
  } catch (error) {
    tally.add(
      'violations',
      1,
      `a global or prototype was changed: ${(error as Error).message.slice(0, 300)}`,
    );
  }
}
