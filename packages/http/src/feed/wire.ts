// The change feed's JSON, as every delivery path sends it (long poll, Server-Sent Events, webhooks), and a
// subscription as the API shows it (never its secret).
import type { StoredChange } from '@callpermit/core';
import type { Subscription } from '@callpermit/store';

/** A change on the wire: its sequence number first, then core's change as stored. */
export function changeOnWire(c: StoredChange): Record<string, unknown> {
  const { seq, id, kind, at, business, user, subject, cause, data } = c;
  return subject === undefined
    ? { seq, id, kind, at, business, user, cause, data }
    : { seq, id, kind, at, business, user, subject, cause, data };
}

/** A subscription as `GET /v1/subscriptions` lists it. */
export function subscriptionOnWire(s: Subscription): Record<string, unknown> {
  return {
    id: s.id,
    url: s.url,
    businesses: s.businesses,
    kinds: s.kinds,
    origin: s.origin,
    status: s.status,
    cursor: s.cursor,
    delivered: s.delivered,
    failures: s.failures,
    failing_since: s.failingSince,
    next_attempt_at: s.nextAttemptAt,
    last_error: s.lastError,
  };
}
