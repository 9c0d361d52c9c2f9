import type { BusinessFact, CallbackSettingChanged, Fact, Instant, Pair, PairFact } from '@callpermit/core';
import { testSource } from '@callpermit/core/testing';

const runNonce = String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
let counter = 0;

/**
 * A business id no other test uses, so tests can share one store (a database is slow to start) and still
 * never see each other's streams or keys. Digits, as Meta's phone-number ids are (core refuses other shapes):
 * 9, a random number per test process, then a counter.
 */
export function uniqueBusiness(): string {
  counter += 1;
  return `9${runNonce}${String(counter).padStart(6, '0')}`;
}

export function uniquePair(user = '447700900001'): Pair {
  return { business: uniqueBusiness(), user };
}

/** Two pairs of one new business: a business fact (or an invalidation) reaches both. */
export function neighbourPairs(): [Pair, Pair] {
  const business = uniqueBusiness();
  return [
    { business, user: '447700900001' },
    { business, user: '447700900002' },
  ];
}

/** Fact builders for one pair. Keys are unique in the whole log: they carry the pair and a serial number. */
export function factsFor(pair: Pair) {
  let n = 0;
  const base = <T extends PairFact['type']>(type: T, at: Instant, key?: string) => ({
    type,
    pair,
    at,
    key: key ?? `${pair.business}/${pair.user}:${type}:${++n}`,
    source: testSource,
  });
  return {
    requestSent: (at: Instant, requestId: string, key?: string): PairFact => ({
      ...base('RequestSent', at, key),
      requestId,
      channel: 'template',
      tentative: false,
    }),
    requestDelivered: (at: Instant, requestId: string, key?: string): PairFact => ({
      ...base('RequestDelivered', at, key),
      requestId,
    }),
    granted: (
      at: Instant,
      options: { requestId?: string; permanent?: boolean; expiresAt?: Instant; key?: string } = {},
    ): PairFact => {
      const fact = {
        ...base('PermissionGranted', at, options.key),
        permanent: options.permanent ?? false,
        via: 'request' as const,
      };
      return {
        ...fact,
        ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
        ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
      };
    },
    declined: (at: Instant, requestId: string, key?: string): PairFact => ({
      ...base('PermissionDeclined', at, key),
      requestId,
    }),
    revoked: (at: Instant, key?: string): PairFact => ({ ...base('PermissionRevoked', at, key), by: 'user' }),
    callAttempted: (at: Instant, callId: string, key?: string): PairFact => ({
      ...base('CallAttempted', at, key),
      callId,
    }),
    callConnected: (at: Instant, callId: string, key?: string): PairFact => ({
      ...base('CallConnected', at, key),
      callId,
      direction: 'business_initiated',
      evidence: 'start_time',
    }),
    callUnanswered: (at: Instant, callId: string, key?: string): PairFact => ({
      ...base('CallUnanswered', at, key),
      callId,
    }),
    userMessaged: (at: Instant, messageId: string, key?: string): PairFact => ({
      ...base('UserMessaged', at, key),
      messageId,
    }),
    userCalled: (at: Instant, callId: string, key?: string): PairFact => ({
      ...base('UserCalled', at, key),
      callId,
    }),
  };
}

export function callbackChanged(business: string, at: Instant, enabled: boolean): CallbackSettingChanged {
  return {
    type: 'CallbackSettingChanged',
    business,
    at,
    key: `${business}:callback:${at}:${enabled}`,
    source: testSource,
    enabled,
  };
}

export type { BusinessFact, Fact, PairFact };
