// Request messages, their expiry and supersession. "A call permission request expires when any of the
// following occurs: The WhatsApp user interacts with a subsequent new call permission request from the
// business; 7 days after the permission was accepted or declined by the consumer; 7 days after the permission
// was delivered if the consumer does not respond to the request." And "if the user declines a permission
// request, they can still grant calling permission, up until the permission request expires."
// Evolve: each message's record and lifecycle (the request machine, read through its table), identifying
// which messages are requests. Read: a request's lifecycle at an instant. No decision of its own.
import type { RequestFailed, RequestSent } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { requestCanExpire, requestTable } from '../machines/lifecycleTable.js';
import type { RequestEvent, RequestLifecycle } from '../machines/requestMachine.js';
import type { Policy } from '../policy/policy.js';
import type { PairState, RequestRecord } from '../state/pairState.js';
import { keepRecent } from '../state/retention.js';
import { countRequest } from './permissionRequests.js';

function requestMove(rec: RequestRecord, event: RequestEvent): boolean {
  const next = requestTable[rec.lifecycle][event];
  if (next === undefined) return false;
  rec.lifecycle = next;
  return true;
}

/** Time reaching a request's expiry instant is an input: applied before anything at or after it. */
function expireRequest(rec: RequestRecord, at: Instant): void {
  if (rec.expiresAt !== null && at >= rec.expiresAt) requestMove(rec, 'Expired');
}

/** The record of a message id; new records are tentative until a fact identifies them as requests. */
function requestRecord(state: PairState, id: string): RequestRecord {
  let rec = state.requests.get(id);
  if (!rec) {
    rec = {
      id,
      channel: 'unknown',
      tentative: true,
      lifecycle: 'sent',
      sentAt: null,
      deliveredAt: null,
      answeredAt: null,
      failedAt: null,
      expiresAt: null,
    };
    state.requests.set(id, rec);
  }
  return rec;
}

/** The instant a request counts from in the request limits. */
function sendInstant(rec: RequestRecord, fallback: Instant): Instant {
  return rec.sentAt ?? rec.deliveredAt ?? fallback;
}

/**
 * A message becomes a known permission request: it now counts against the request limits, and what its
 * statuses said so far (delivered, failed) moves its lifecycle, superseding older requests it reached.
 */
function identify(state: PairState, rec: RequestRecord, at: Instant, policy: Policy): void {
  if (!rec.tentative) return;
  rec.tentative = false;
  countRequest(state, sendInstant(rec, at));
  if (rec.failedAt !== null) {
    requestMove(rec, 'Failed');
  } else if (rec.deliveredAt !== null) {
    if (requestMove(rec, 'Delivered')) rec.expiresAt = rec.deliveredAt + policy.requestExpirySeconds;
    supersedeOlder(state, rec, rec.deliveredAt);
  }
}

/** "A call permission request expires … [when] a new call permission request" reaches the user. */
function supersedeOlder(state: PairState, newer: RequestRecord, at: Instant): void {
  const newerSent = sendInstant(newer, at);
  for (const rec of state.requests.values()) {
    if (rec === newer || rec.tentative) continue;
    if (sendInstant(rec, at) > newerSent || (sendInstant(rec, at) === newerSent && rec.id > newer.id))
      continue;
    expireRequest(rec, at);
    if (requestMove(rec, 'Superseded')) rec.expiresAt = at;
  }
}

/** A RequestSent fact: a message left the business; unless tentative, it is a permission request. */
export function requestSent(state: PairState, fact: RequestSent, policy: Policy): void {
  const rec = requestRecord(state, fact.requestId);
  if (rec.sentAt === null || fact.at < rec.sentAt) rec.sentAt = fact.at;
  if (fact.channel !== 'unknown') rec.channel = fact.channel;
  if (!fact.tentative) identify(state, rec, fact.at, policy);
}

/**
 * A delivered (or read: it implies delivered) status: the request's 7 days run from the first, and it
 * supersedes older requests. Later statuses of the same message change nothing.
 */
export function requestDelivered(state: PairState, requestId: string, at: Instant, policy: Policy): void {
  const rec = requestRecord(state, requestId);
  if (rec.deliveredAt !== null) return;
  rec.deliveredAt = at;
  if (rec.tentative) return;
  if (requestMove(rec, 'Delivered')) rec.expiresAt = at + policy.requestExpirySeconds;
  supersedeOlder(state, rec, at);
}

/** A failed status: the request never reached the user (it still counted against the limits). */
export function requestFailed(state: PairState, fact: RequestFailed): void {
  const rec = requestRecord(state, fact.requestId);
  if (rec.failedAt === null) rec.failedAt = fact.at;
  if (!rec.tentative && requestMove(rec, 'Failed')) rec.expiresAt = null;
}

/**
 * The user answered the request (a reply names it): it is a request, its 7 days now run from the answer, and
 * an answer with no delivered status before it proves delivery. An answer the lifecycle cannot take (the
 * request had ended, or was accepted and is now declined) leaves the request as it was and is kept as a
 * discrepancy of origin 'lifecycle'; the same answer twice is not one.
 */
export function requestAnswered(
  state: PairState,
  requestId: string,
  answer: 'Accepted' | 'Declined',
  at: Instant,
  policy: Policy,
): void {
  const rec = requestRecord(state, requestId);
  identify(state, rec, at, policy);
  expireRequest(rec, at);
  const wasDelivered = rec.deliveredAt !== null;
  if (!requestMove(rec, answer)) {
    const said: RequestLifecycle = answer === 'Accepted' ? 'accepted' : 'declined';
    if (rec.lifecycle !== said)
      keepRecent(state.discrepancies, {
        at,
        field: `request.${rec.id}.lifecycle`,
        ours: rec.lifecycle,
        meta: said,
        origin: 'lifecycle',
      });
    return;
  }
  rec.answeredAt = at;
  rec.expiresAt = at + policy.requestExpirySeconds;
  if (!wasDelivered) {
    rec.deliveredAt = at;
    supersedeOlder(state, rec, at);
  }
}

/** The lifecycle of a request at `at`: a live request (one time can end) whose expiry has passed reads as expired. */
export function requestLifecycleAt(rec: RequestRecord, at: Instant): RequestLifecycle {
  return requestCanExpire(rec.lifecycle) && rec.expiresAt !== null && at >= rec.expiresAt
    ? 'expired'
    : rec.lifecycle;
}
