import type { Random } from './random.js';

/**
 * What happens between one business number and one user, as a plausible business and user would act:
 * the user writes, the business chats, asks for call permission within the limits, calls while it may, and
 * checks Meta's view now and then. Both the fact generator (core.fold) and the capture generator render
 * these events, so the two benchmarks exercise the same history.
 */
export type StoryEvent =
  | { type: 'user_message'; at: number; id: string }
  /** A business message that is not a permission request (text or an ordinary template). */
  | { type: 'message_send'; at: number; id: string; template?: string }
  /** A permission request send; `refusedWith` is the Graph API error code when Meta refused it. */
  | {
      type: 'request_send';
      at: number;
      id: string;
      channel: 'free_form' | 'template';
      template?: string;
      refusedWith?: number;
    }
  | {
      type: 'status';
      at: number;
      id: string;
      status: 'sent' | 'delivered' | 'read' | 'failed';
      request: boolean;
      errorCode?: number;
    }
  | { type: 'reply'; at: number; id: string; reply: Reply }
  | { type: 'call_api'; at: number; callId: string }
  | { type: 'call_connect'; at: number; callId: string; direction: Direction }
  | { type: 'call_status'; at: number; callId: string; status: 'RINGING' | 'ACCEPTED' | 'REJECTED' }
  | {
      type: 'call_terminate';
      at: number;
      callId: string;
      direction: Direction;
      status: 'COMPLETED' | 'FAILED';
      startTime?: number;
      endTime?: number;
    }
  | { type: 'permissions_get'; at: number; view: ObservedView };

export type Direction = 'BUSINESS_INITIATED' | 'USER_INITIATED';

/**
 * The six documented `call_permission_reply` scenarios, plus the undocumented user revoke from the profile
 * (assumed `reject` / `user_action` without context).
 */
export type Reply =
  | { scenario: 'temporary_from_request'; requestId: string; expiresAt: number }
  | { scenario: 'permanent_from_request'; requestId: string }
  | { scenario: 'permanent_from_profile' }
  | { scenario: 'decline'; requestId: string }
  | { scenario: 'callback_grant'; callId: string; expiresAt: number }
  | { scenario: 'automatic_revoke' }
  | { scenario: 'user_revoke' };

/** What a GET call_permissions response reports. */
export interface ObservedView {
  status: 'no_permission' | 'temporary' | 'permanent';
  expiresAt?: number;
  requests24h: number;
  requests7d: number;
  calls24h: number;
}

const DAY = 86400;
const WEEK = 7 * DAY;

export const PERMISSION_TEMPLATES = ['callback_request', 'support_call_permission'] as const;
export const OTHER_TEMPLATES = ['order_update', 'delivery_notice'] as const;

const EPISODES = {
  user_message: 22,
  chatter: 20,
  request: 16,
  call: 24,
  user_call: 7,
  check: 5,
  profile_grant: 1,
  user_revoke: 1,
} as const;

export interface StoryOptions {
  /** The user's wa_id: it goes into message and call ids, keeping them unique per pair. */
  readonly user: string;
  /** Mean seconds between two episodes of the pair. */
  readonly meanGapSeconds: number;
  /** Whether the business had callback permission on at an instant (scenario 5 needs it). */
  readonly callbackEnabledAt: (at: number) => boolean;
}

/**
 * One pair's history, episode by episode, lazily: `next()` returns the next episode's events in time
 * order. The story keeps a rough model of the pair (permission, limits, unanswered streak) so the business
 * mostly acts within the rules, and sometimes does not (Meta then refuses the send).
 */
export class PairStory {
  private permission: 'none' | 'temporary' | 'permanent' | 'revoked' = 'none';
  private expiresAt = 0;
  private lastUserActivity = -Infinity;
  private sends: number[] = [];
  private connected: number[] = [];
  private resetAt = -Infinity;
  private streak = 0;
  private seq = 0;
  /** The earliest instant the next episode may start: after everything the last one did. */
  private clock: number;

  constructor(
    private readonly rng: Random,
    start: number,
    private readonly options: StoryOptions,
  ) {
    this.clock = start;
  }

  next(): StoryEvent[] {
    const at = this.clock + this.rng.wait(this.options.meanGapSeconds);
    const events: StoryEvent[] = [];
    switch (this.rng.weighted(EPISODES)) {
      case 'user_message':
        this.userMessage(at, events);
        break;
      case 'chatter':
        this.businessMessage(at, events);
        break;
      case 'request':
        this.request(at, events);
        break;
      case 'call':
        if (this.mayCall(at)) this.call(at, events);
        else this.check(at, events);
        break;
      case 'user_call':
        this.userCall(at, events);
        break;
      case 'check':
        this.check(at, events);
        break;
      case 'profile_grant':
        this.permission = 'permanent';
        events.push({
          type: 'reply',
          at,
          id: this.messageId(),
          reply: { scenario: 'permanent_from_profile' },
        });
        break;
      case 'user_revoke':
        if (this.active(at)) {
          this.permission = 'revoked';
          this.streak = 0;
          events.push({ type: 'reply', at, id: this.messageId(), reply: { scenario: 'user_revoke' } });
        } else this.userMessage(at, events);
        break;
    }
    // Within an episode, replies and statuses interleave: keep the pair's own events in time order.
    events.sort((a, b) => a.at - b.at);
    for (const e of events) this.clock = Math.max(this.clock, e.at);
    return events;
  }

  private messageId(): string {
    return `wamid.HBgM${this.options.user}FQIAERgS${(this.seq++).toString(36).toUpperCase().padStart(8, '0')}AA==`;
  }

  private callId(): string {
    return `wacid.HBgM${this.options.user}FQIAEhgg${(this.seq++).toString(36).toUpperCase().padStart(8, '0')}AA`;
  }

  private active(at: number): boolean {
    return this.permission === 'permanent' || (this.permission === 'temporary' && at < this.expiresAt);
  }

  private count(instants: readonly number[], at: number, period: number, after = -Infinity): number {
    let n = 0;
    for (const s of instants) if (s >= after && s <= at && at < s + period) n++;
    return n;
  }

  private mayCall(at: number): boolean {
    return this.active(at) && this.count(this.connected, at, DAY) < 100;
  }

  private userMessage(at: number, events: StoryEvent[]): void {
    this.lastUserActivity = at;
    events.push({ type: 'user_message', at, id: this.messageId() });
    if (this.rng.chance(0.6)) this.businessMessage(at + this.rng.wait(120), events);
  }

  /** An ordinary business message and its statuses: nothing to do with permissions. */
  private businessMessage(at: number, events: StoryEvent[]): void {
    const id = this.messageId();
    const windowOpen = at < this.lastUserActivity + DAY;
    const template = windowOpen ? undefined : this.rng.pick(OTHER_TEMPLATES);
    events.push(template ? { type: 'message_send', at, id, template } : { type: 'message_send', at, id });
    this.statuses(id, at, false, events);
  }

  /** sent, then delivered and read (sometimes only read), or failed. Returns when it reached the user. */
  private statuses(id: string, at: number, request: boolean, events: StoryEvent[]): number | undefined {
    const sentAt = at + this.rng.int(0, 2);
    events.push({ type: 'status', at: sentAt, id, status: 'sent', request });
    if (this.rng.chance(0.03)) {
      events.push({
        type: 'status',
        at: sentAt + this.rng.int(1, 20),
        id,
        status: 'failed',
        request,
        errorCode: 131026,
      });
      return undefined;
    }
    const deliveredAt = sentAt + this.rng.int(1, 30);
    const onlyRead = this.rng.chance(0.1);
    if (!onlyRead) events.push({ type: 'status', at: deliveredAt, id, status: 'delivered', request });
    if (onlyRead || this.rng.chance(0.7)) {
      const readAt = onlyRead ? deliveredAt : deliveredAt + this.rng.wait(600);
      events.push({ type: 'status', at: readAt, id, status: 'read', request });
    }
    return deliveredAt;
  }

  private request(at: number, events: StoryEvent[]): void {
    const id = this.messageId();
    const windowOpen = at < this.lastUserActivity + DAY;
    const channel: 'free_form' | 'template' = windowOpen && this.rng.chance(0.7) ? 'free_form' : 'template';
    const template = channel === 'template' ? this.rng.pick(PERMISSION_TEMPLATES) : undefined;
    const base = { type: 'request_send' as const, at, id, channel, ...(template ? { template } : {}) };
    const withinLimits =
      this.count(this.sends, at, DAY, this.resetAt) < 1 && this.count(this.sends, at, WEEK, this.resetAt) < 2;
    if (this.permission === 'permanent' || !withinLimits) {
      // Mostly the business knows better; now and then it asks anyway and Meta refuses.
      if (this.rng.chance(0.2))
        events.push({ ...base, refusedWith: this.permission === 'permanent' ? 138017 : 138009 });
      else this.businessMessage(at, events);
      return;
    }
    events.push(base);
    this.sends.push(at);
    if (this.sends.length > 8) this.sends.shift();
    const deliveredAt = this.statuses(id, at, true, events);
    if (deliveredAt === undefined) return;
    const replyAt = deliveredAt + this.rng.wait(1800);
    switch (this.rng.weighted({ temporary: 40, permanent: 10, decline: 20, none: 30 })) {
      case 'temporary':
        this.grantTemporary(replyAt);
        events.push({
          type: 'reply',
          at: replyAt,
          id: this.messageId(),
          reply: { scenario: 'temporary_from_request', requestId: id, expiresAt: replyAt + WEEK },
        });
        break;
      case 'permanent':
        this.permission = 'permanent';
        this.streak = 0;
        events.push({
          type: 'reply',
          at: replyAt,
          id: this.messageId(),
          reply: { scenario: 'permanent_from_request', requestId: id },
        });
        break;
      case 'decline':
        events.push({
          type: 'reply',
          at: replyAt,
          id: this.messageId(),
          reply: { scenario: 'decline', requestId: id },
        });
        // "they can still grant calling permission, up until the permission request expires."
        if (this.rng.chance(0.25)) {
          const laterAt = replyAt + this.rng.wait(6 * 3600);
          this.grantTemporary(laterAt);
          events.push({
            type: 'reply',
            at: laterAt,
            id: this.messageId(),
            reply: { scenario: 'temporary_from_request', requestId: id, expiresAt: laterAt + WEEK },
          });
        }
        break;
      case 'none':
        break;
    }
  }

  private grantTemporary(at: number): void {
    if (this.permission === 'permanent') return;
    this.permission = 'temporary';
    this.expiresAt = at + WEEK;
    this.streak = 0;
  }

  /** A business-initiated call: connected, unanswered or rejected; the fourth miss in a row revokes. */
  private call(at: number, events: StoryEvent[]): void {
    const callId = this.callId();
    const direction = 'BUSINESS_INITIATED';
    events.push({ type: 'call_api', at, callId });
    events.push({ type: 'call_connect', at: at + 1, callId, direction });
    events.push({ type: 'call_status', at: at + 2, callId, status: 'RINGING' });
    const outcome = this.rng.weighted({ connected: 55, unanswered: 30, rejected: 15 });
    if (outcome === 'connected') {
      const startTime = at + this.rng.int(4, 25);
      const endTime = startTime + this.rng.wait(240);
      if (this.rng.chance(0.85))
        events.push({ type: 'call_status', at: startTime + 1, callId, status: 'ACCEPTED' });
      events.push({
        type: 'call_terminate',
        at: endTime,
        callId,
        direction,
        status: 'COMPLETED',
        startTime,
        endTime,
      });
      this.connected.push(startTime);
      if (this.connected.length > 120) this.connected.shift();
      this.resetAt = startTime;
      this.streak = 0;
      return;
    }
    let endAt = at + this.rng.int(25, 60);
    if (outcome === 'rejected') {
      const rejectedAt = at + this.rng.int(3, 20);
      events.push({ type: 'call_status', at: rejectedAt, callId, status: 'REJECTED' });
      endAt = rejectedAt + 1;
    }
    events.push({ type: 'call_terminate', at: endAt, callId, direction, status: 'COMPLETED' });
    this.streak += 1;
    if (this.streak >= 4) {
      this.permission = 'revoked';
      this.streak = 0;
      events.push({
        type: 'reply',
        at: endAt + this.rng.int(1, 5),
        id: this.messageId(),
        reply: { scenario: 'automatic_revoke' },
      });
    }
  }

  /** The user calls the business; with callback permission on, WhatsApp grants a temporary permission. */
  private userCall(at: number, events: StoryEvent[]): void {
    const callId = this.callId();
    const direction = 'USER_INITIATED';
    this.lastUserActivity = at;
    events.push({ type: 'call_connect', at, callId, direction });
    if (this.rng.chance(0.7)) {
      const startTime = at + this.rng.int(3, 15);
      const endTime = startTime + this.rng.wait(300);
      events.push({
        type: 'call_terminate',
        at: endTime,
        callId,
        direction,
        status: 'COMPLETED',
        startTime,
        endTime,
      });
      this.resetAt = startTime;
    } else {
      events.push({
        type: 'call_terminate',
        at: at + this.rng.int(30, 60),
        callId,
        direction,
        status: 'COMPLETED',
      });
    }
    if (this.options.callbackEnabledAt(at) && this.permission !== 'permanent') {
      const grantAt = at + this.rng.int(1, 3);
      this.grantTemporary(grantAt);
      events.push({
        type: 'reply',
        at: grantAt,
        id: this.messageId(),
        reply: { scenario: 'callback_grant', callId, expiresAt: grantAt + WEEK },
      });
    }
  }

  private check(at: number, events: StoryEvent[]): void {
    const active = this.active(at);
    const status = active ? (this.permission === 'permanent' ? 'permanent' : 'temporary') : 'no_permission';
    events.push({
      type: 'permissions_get',
      at,
      view: {
        status,
        ...(status === 'temporary' ? { expiresAt: this.expiresAt } : {}),
        requests24h: this.count(this.sends, at, DAY, this.resetAt),
        requests7d: this.count(this.sends, at, WEEK, this.resetAt),
        calls24h: this.count(this.connected, at, DAY),
      },
    });
  }
}
