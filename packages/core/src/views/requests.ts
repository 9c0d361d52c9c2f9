// A pair's permission request messages and their lifecycle at an instant: `callpermit requests`.
import type { Instant } from '../domain/time.js';
import type { RequestLifecycle } from '../machines/requestMachine.js';
import { requestLifecycleAt } from '../rules/requestMessages.js';
import type { PairState, RequestRecord } from '../state/pairState.js';

/** One permission request message, as `callpermit requests` prints it (Unix seconds; absent when unknown). */
export interface RequestView {
  id: string;
  state: RequestLifecycle;
  channel: RequestRecord['channel'];
  sent_at?: number;
  delivered_at?: number;
  answered_at?: number;
  expires_at?: number;
}

/** Every known permission request of the pair with its lifecycle state at `at`, oldest first. */
export function requests(state: PairState, at: Instant): RequestView[] {
  const out: RequestView[] = [];
  for (const rec of state.requests.values()) {
    if (rec.tentative) continue;
    const view: RequestView = { id: rec.id, state: requestLifecycleAt(rec, at), channel: rec.channel };
    if (rec.sentAt !== null) view.sent_at = rec.sentAt;
    if (rec.deliveredAt !== null) view.delivered_at = rec.deliveredAt;
    if (rec.answeredAt !== null) view.answered_at = rec.answeredAt;
    if (rec.expiresAt !== null) view.expires_at = rec.expiresAt;
    out.push(view);
  }
  const order = (v: RequestView) => v.sent_at ?? v.delivered_at ?? v.answered_at ?? Number.MAX_SAFE_INTEGER;
  return out.sort((a, b) => order(a) - order(b) || (a.id < b.id ? -1 : 1));
}
