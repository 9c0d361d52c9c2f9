import type { Instant, Pair, PairFact } from '@callpermit/core';
import { T0 } from '@callpermit/core/testing';
import fc from 'fast-check';
import { factsFor } from './facts.js';

const requestIds = ['wamid.r1', 'wamid.r2', 'wamid.r3'];
const callIds = ['call.c1', 'call.c2', 'call.c3', 'call.c4'];

export type HistoryStep =
  | readonly ['requestSent' | 'requestDelivered' | 'grantedFrom' | 'declined', Instant, string]
  | readonly ['granted', Instant, boolean]
  | readonly ['revoked' | 'userMessaged', Instant]
  | readonly ['callAttempted' | 'callConnected' | 'callUnanswered' | 'userCalled', Instant, string];

/**
 * The steps of one pair's history: requests and their statuses, answers, revokes, calls and their outcomes,
 * user activity, over `days` days, on whole hours so that many facts share an instant (rank and key order
 * matter). Plain data, so a counterexample prints readably; `historyFacts` makes the facts for a pair.
 */
export function historySteps(
  options: { days?: number; maxFacts?: number } = {},
): fc.Arbitrary<HistoryStep[]> {
  const hours = (options.days ?? 20) * 24;
  const instant = fc.integer({ min: 0, max: hours }).map((h): Instant => T0 + h * 3600);
  const request = fc.constantFrom(...requestIds);
  const call = fc.constantFrom(...callIds);
  const step: fc.Arbitrary<HistoryStep> = fc.oneof(
    fc.tuple(
      fc.constantFrom('requestSent', 'requestDelivered', 'grantedFrom', 'declined' as const),
      instant,
      request,
    ),
    fc.tuple(fc.constant('granted' as const), instant, fc.boolean()),
    fc.tuple(fc.constantFrom('revoked', 'userMessaged' as const), instant),
    fc.tuple(
      fc.constantFrom('callAttempted', 'callConnected', 'callUnanswered', 'userCalled' as const),
      instant,
      call,
    ),
  );
  return fc.array(step, { minLength: 1, maxLength: options.maxFacts ?? 30 });
}

/** The facts of `steps` for `pair`, each with its own key. */
export function historyFacts(pair: Pair, steps: readonly HistoryStep[]): PairFact[] {
  const f = factsFor(pair);
  return steps.map((s, i): PairFact => {
    switch (s[0]) {
      case 'requestSent':
        return f.requestSent(s[1], s[2]);
      case 'requestDelivered':
        return f.requestDelivered(s[1], s[2]);
      case 'grantedFrom':
        return f.granted(s[1], { requestId: s[2] });
      case 'declined':
        return f.declined(s[1], s[2]);
      case 'granted':
        return f.granted(s[1], { permanent: s[2] });
      case 'revoked':
        return f.revoked(s[1]);
      case 'userMessaged':
        return f.userMessaged(s[1], `wamid.m${i}`);
      case 'callAttempted':
        return f.callAttempted(s[1], s[2]);
      case 'callConnected':
        return f.callConnected(s[1], s[2]);
      case 'callUnanswered':
        return f.callUnanswered(s[1], s[2]);
      default:
        return f.userCalled(s[1], s[2]);
    }
  });
}

/** Splits `items` into consecutive batches at the given cut points (indices taken modulo the length). */
export function batches<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const at = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const cut of [...at, items.length]) {
    if (cut > from) out.push(items.slice(from, cut));
    from = Math.max(from, cut);
  }
  return out;
}
