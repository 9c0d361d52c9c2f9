// fast-check arbitraries of pairs, instants, policies and fact histories, for property tests in every
// package. Facts come from the builders, so their keys name their content: two equal facts share a key.
import fc from 'fast-check';
import type { BusinessFact, Fact, PairFact } from '../domain/facts.js';
import type { Pair } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import { defaultPolicy, type Policy } from '../policy/policy.js';
import { DAY, facts, HOUR, T0, testPair, WEEK } from './builders.js';

/** A business phone number id and a user: a wa_id, or an opaque business-scoped user id. */
export const pairArb: fc.Arbitrary<Pair> = fc.record(
  {
    business: fc.stringMatching(/^1\d{14}$/),
    user: fc.oneof(fc.stringMatching(/^[1-9]\d{9,13}$/), fc.stringMatching(/^[A-Z]{2}\.[0-9A-Za-z]{16}$/)),
  },
  { noNullPrototype: true },
);

export interface InstantOptions {
  readonly from?: Instant;
  /** How far after `from` instants may fall (seconds). */
  readonly span?: number;
}

/**
 * Instants in [from, from + span], half of them on or one second beside a whole hour, day or week from
 * `from`: the edges of every window and expiry, where half-open intervals go wrong.
 */
export function instantArb({ from = T0, span = 3 * WEEK }: InstantOptions = {}): fc.Arbitrary<Instant> {
  const edge = fc
    .tuple(fc.constantFrom(HOUR, DAY, WEEK), fc.nat(), fc.constantFrom(-1, 0, 1))
    .map(([unit, n, nudge]) => from + (n % (Math.floor(span / unit) + 1)) * unit + nudge)
    .filter((t) => t >= from && t <= from + span);
  return fc.oneof(fc.integer({ min: from, max: from + span }), edge);
}

export interface HistoryOptions extends InstantOptions {
  readonly pair?: Pair;
  /** How many distinct request message ids and call ids the history draws from (small pools make facts meet). */
  readonly requests?: number;
  readonly calls?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Include CallbackSettingChanged facts of the pair's business. */
  readonly callbackChanges?: boolean;
  /** Include CallingSettingChanged facts of the pair's business (calling turned on and off: 138000). */
  readonly callingChanges?: boolean;
}

/** Any fact about one pair: every type, over shared pools of request and call ids. */
export function pairFactArb(options: HistoryOptions = {}): fc.Arbitrary<PairFact> {
  const pair = options.pair ?? testPair;
  const at = instantArb(options);
  const requestId = fc.nat({ max: (options.requests ?? 4) - 1 }).map((i) => `wamid.R${i}`);
  const callId = fc.nat({ max: (options.calls ?? 8) - 1 }).map((i) => `wacid.C${i}`);
  const expiresAt = fc.option(fc.integer({ min: 1, max: 3 * WEEK }), { nil: undefined });
  const withExpiry = <T extends object>(o: T, at: Instant, e: number | undefined) =>
    e === undefined ? o : { ...o, expiresAt: at + e };
  return fc.oneof(
    fc
      .record({
        at,
        requestId,
        channel: fc.constantFrom('free_form', 'template', 'unknown'),
        tentative: fc.boolean(),
      })
      .map((o) => facts.requestSent({ ...o, pair })),
    fc.record({ at, requestId }).map((o) => facts.requestDelivered({ ...o, pair })),
    fc.record({ at, requestId }).map((o) => facts.requestRead({ ...o, pair })),
    fc.record({ at, requestId }).map((o) => facts.requestFailed({ ...o, pair })),
    fc
      .record({
        at,
        requestId: fc.option(requestId, { nil: undefined }),
        permanent: fc.boolean(),
        e: expiresAt,
      })
      .map(({ at, requestId, permanent, e }) =>
        facts.permissionGranted(
          withExpiry(
            requestId === undefined ? { at, permanent, pair } : { at, permanent, pair, requestId },
            at,
            e,
          ),
        ),
      ),
    fc.record({ at, requestId }).map((o) => facts.permissionDeclined({ ...o, pair })),
    fc
      .record({ at, by: fc.constantFrom('user', 'automatic') })
      .map((o) => facts.permissionRevoked({ ...o, pair })),
    fc.record({ at, callId }).map((o) => facts.callAttempted({ ...o, pair })),
    fc
      .record({
        at,
        callId,
        direction: fc.constantFrom('business_initiated', 'user_initiated'),
        evidence: fc.constantFrom('start_time', 'accepted'),
      })
      .map((o) => facts.callConnected({ ...o, pair })),
    fc.record({ at, callId }).map((o) => facts.callUnanswered({ ...o, pair })),
    fc.record({ at, callId }).map((o) => facts.callRejected({ ...o, pair })),
    at.map((t) => facts.userMessaged({ at: t, pair })),
    fc.record({ at, callId }).map((o) => facts.userCalled({ ...o, pair })),
    fc
      .record({ at, status: fc.constantFrom('no_permission', 'temporary', 'permanent'), e: expiresAt })
      .map(({ at, status, e }) =>
        facts.permissionObserved(
          withExpiry({ at, status, pair }, at, status === 'temporary' ? e : undefined),
        ),
      ),
  );
}

export function callbackChangeArb(options: HistoryOptions = {}): fc.Arbitrary<BusinessFact> {
  const business = (options.pair ?? testPair).business;
  return fc
    .record({ at: instantArb(options), enabled: fc.boolean() })
    .map((o) => facts.callbackSettingChanged({ ...o, business }));
}

export function callingChangeArb(options: HistoryOptions = {}): fc.Arbitrary<BusinessFact> {
  const business = (options.pair ?? testPair).business;
  return fc
    .record({ at: instantArb(options), enabled: fc.boolean() })
    .map((o) => facts.callingSettingChanged({ ...o, business }));
}

/**
 * A history of one pair (and, with `callbackChanges` or `callingChanges`, its business's settings): distinct
 * facts in no particular order, as a log may receive them.
 */
export function factHistoryArb(options: HistoryOptions = {}): fc.Arbitrary<Fact[]> {
  const kinds: fc.WeightedArbitrary<Fact>[] = [{ arbitrary: pairFactArb(options), weight: 12 }];
  if (options.callbackChanges) kinds.push({ arbitrary: callbackChangeArb(options), weight: 1 });
  if (options.callingChanges) kinds.push({ arbitrary: callingChangeArb(options), weight: 1 });
  const fact: fc.Arbitrary<Fact> = kinds.length === 1 ? pairFactArb(options) : fc.oneof(...kinds);
  return fc.uniqueArray(fact, {
    selector: (f) => f.key,
    minLength: options.minLength ?? 0,
    maxLength: options.maxLength ?? 40,
  });
}

/** Small limits and windows, so short histories reach them; the seed's shape (two request windows, one call window). */
export const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    requestDay: fc.integer({ min: 1, max: 3 }),
    requestWeek: fc.integer({ min: 1, max: 5 }),
    calls: fc.integer({ min: 1, max: 4 }),
    callWindow: fc.constantFrom(HOUR, 6 * HOUR, DAY),
    hold: fc.integer({ min: 30, max: 300 }),
    reconsiderAt: fc.integer({ min: 1, max: 3 }),
    revokeAt: fc.integer({ min: 2, max: 6 }),
  })
  .map((p) => ({
    ...defaultPolicy,
    requestLimits: [
      { periodSeconds: DAY, maxAllowed: p.requestDay },
      { periodSeconds: WEEK, maxAllowed: Math.max(p.requestDay, p.requestWeek) },
    ],
    connectedCallLimits: [{ periodSeconds: p.callWindow, maxAllowed: p.calls }],
    callAttemptHoldSeconds: p.hold,
    unansweredReconsiderAt: p.reconsiderAt,
    unansweredRevokeAt: Math.max(p.reconsiderAt + 1, p.revokeAt),
  }));
