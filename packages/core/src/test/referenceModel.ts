// A reference model of one pair's call permission, written from the seed's sentences and nothing else in
// core: plain lists and counters, recomputed on every question. The model-based test drives it and the
// engine with the same steps and compares Meta's GET body after each one.
import type { Instant } from '../domain/time.js';
import type { Policy } from '../policy/policy.js';

type Permission = { kind: 'none' } | { kind: 'temporary'; until: Instant } | { kind: 'permanent' };

export type Verdict = { ok: true } | { ok: false; code: number; retryAt?: Instant };

export interface ModelLimit {
  time_period: string;
  max_allowed: number;
  current_usage: number;
  limit_expiration_time?: number;
}

export interface ModelView {
  messaging_product: 'whatsapp';
  permission: { status: 'no_permission' | 'temporary' | 'permanent'; expiration_time?: number };
  actions: { action_name: string; can_perform_action: boolean; limits: ModelLimit[] }[];
}

/** The windows the model meets, written out as Meta prints them. */
const PERIOD_NAMES: Record<number, string> = {
  3600: 'PT1H',
  21600: 'PT6H',
  86400: 'PT24H',
  604800: 'P7D',
};

/** The instant at which fewer than `max` of the places that end at `ends` remain: the `max`-th last end. */
function freedAt(ends: Instant[], max: number): Instant | undefined {
  if (ends.length < max) return undefined;
  const latestFirst = [...ends].sort((a, b) => b - a);
  return latestFirst[max - 1];
}

export class ReferenceModel {
  now: Instant;
  private permission: Permission = { kind: 'none' };
  /** Instants of accepted permission requests. */
  private readonly requestsSent: Instant[] = [];
  /** Instants of connected business-initiated calls. */
  private readonly businessCalls: Instant[] = [];
  /** The last connected call of either direction: request counters start again from it. */
  private lastConnected: Instant | null = null;
  /** Calls the engine allowed whose outcome has not come: call id → instant allowed. */
  readonly ringing = new Map<string, Instant>();
  private misses = 0;
  private lastUserActivity: Instant | null = null;

  constructor(
    readonly policy: Policy,
    readonly callbackOn: boolean,
    start: Instant,
  ) {
    this.now = start;
  }

  private granted(): boolean {
    const p = this.permission;
    return p.kind === 'permanent' || (p.kind === 'temporary' && this.now < p.until);
  }

  private requestsCounted(period: number): Instant[] {
    return this.requestsSent.filter(
      (s) =>
        (this.lastConnected === null || s >= this.lastConnected) && s <= this.now && this.now < s + period,
    );
  }

  private callsCounted(period: number): Instant[] {
    return this.businessCalls.filter((c) => c <= this.now && this.now < c + period);
  }

  private stillRinging(): Instant[] {
    return [...this.ringing.values()].filter((a) => this.now < a + this.policy.callAttemptHoldSeconds);
  }

  requestVerdict(channel: 'template' | 'free_form'): Verdict {
    if (this.permission.kind === 'permanent') return { ok: false, code: 138017 };
    const windowOpen =
      this.lastUserActivity !== null &&
      this.now < this.lastUserActivity + this.policy.customerServiceWindowSeconds;
    if (channel === 'free_form' && !windowOpen) return { ok: false, code: 131047 };
    let retryAt: Instant | undefined;
    for (const limit of this.policy.requestLimits) {
      const counted = this.requestsCounted(limit.periodSeconds);
      if (counted.length >= limit.maxAllowed) {
        const free = freedAt(
          counted.map((s) => s + limit.periodSeconds),
          limit.maxAllowed,
        ) as Instant;
        retryAt = Math.max(retryAt ?? free, free);
      }
    }
    return retryAt === undefined ? { ok: true } : { ok: false, code: 138009, retryAt };
  }

  callVerdict(): Verdict {
    if (!this.granted()) return { ok: false, code: 138006 };
    const ringingEnds = this.stillRinging().map((a) => a + this.policy.callAttemptHoldSeconds);
    let retryAt: Instant | undefined;
    for (const limit of this.policy.connectedCallLimits) {
      const counted = this.callsCounted(limit.periodSeconds);
      if (counted.length + ringingEnds.length >= limit.maxAllowed) {
        const ends = [...counted.map((c) => c + limit.periodSeconds), ...ringingEnds];
        const free = freedAt(ends, limit.maxAllowed) as Instant;
        retryAt = Math.max(retryAt ?? free, free);
      }
    }
    return retryAt === undefined ? { ok: true } : { ok: false, code: 138012, retryAt };
  }

  sendRequest(channel: 'template' | 'free_form'): Verdict {
    const verdict = this.requestVerdict(channel);
    if (verdict.ok) this.requestsSent.push(this.now);
    return verdict;
  }

  startCall(callId: string): Verdict {
    const verdict = this.callVerdict();
    if (verdict.ok) this.ringing.set(callId, this.now);
    return verdict;
  }

  callConnected(callId: string): void {
    this.ringing.delete(callId);
    this.businessCalls.push(this.now);
    this.lastConnected = this.now;
    this.misses = 0;
  }

  /** Unanswered and rejected calls alike: "2 consecutive … reconsider", "4 consecutive … revoked". */
  callMissed(callId: string): void {
    this.ringing.delete(callId);
    this.misses += 1;
    if (this.misses >= this.policy.unansweredRevokeAt) {
      if (this.granted()) this.permission = { kind: 'none' };
      this.misses = 0;
    }
  }

  userMessaged(): void {
    this.lastUserActivity = this.now;
  }

  /** The user calls the business; with callback on, that grants a temporary permission unless one is permanent. */
  userCalled(connected: boolean): void {
    this.lastUserActivity = this.now;
    if (this.callbackOn && this.permission.kind !== 'permanent') this.grant(false);
    if (connected) {
      this.lastConnected = this.now;
      this.misses = 0;
    }
  }

  grant(permanent: boolean): void {
    this.permission = permanent
      ? { kind: 'permanent' }
      : { kind: 'temporary', until: this.now + this.policy.temporaryGrantSeconds };
    this.misses = 0;
  }

  revoke(): void {
    if (!this.granted()) return;
    this.permission = { kind: 'none' };
    this.misses = 0;
  }

  /** Instants where something changes: expiries, window exits, holds ending, the service window closing. */
  edges(): Instant[] {
    const edges: Instant[] = [];
    if (this.permission.kind === 'temporary') edges.push(this.permission.until);
    for (const limit of this.policy.requestLimits)
      edges.push(...this.requestsSent.map((s) => s + limit.periodSeconds));
    for (const limit of this.policy.connectedCallLimits)
      edges.push(...this.businessCalls.map((c) => c + limit.periodSeconds));
    edges.push(...[...this.ringing.values()].map((a) => a + this.policy.callAttemptHoldSeconds));
    if (this.lastUserActivity !== null)
      edges.push(this.lastUserActivity + this.policy.customerServiceWindowSeconds);
    return edges.filter((t) => t > this.now).sort((a, b) => a - b);
  }

  view(): ModelView {
    const p = this.permission;
    const permission: ModelView['permission'] = !this.granted()
      ? { status: 'no_permission' }
      : p.kind === 'temporary'
        ? { status: 'temporary', expiration_time: p.until }
        : { status: 'permanent' };
    const limitView = (period: number, max: number, counted: Instant[]): ModelLimit => {
      const view: ModelLimit = {
        time_period: PERIOD_NAMES[period] ?? `unnamed ${period}`,
        max_allowed: max,
        current_usage: counted.length,
      };
      if (counted.length >= max) {
        view.limit_expiration_time = freedAt(
          counted.map((t) => t + period),
          max,
        ) as Instant;
      }
      return view;
    };
    return {
      messaging_product: 'whatsapp',
      permission,
      actions: [
        {
          action_name: 'send_call_permission_request',
          can_perform_action: this.requestVerdict('template').ok,
          limits: this.policy.requestLimits.map((l) =>
            limitView(l.periodSeconds, l.maxAllowed, this.requestsCounted(l.periodSeconds)),
          ),
        },
        {
          action_name: 'start_call',
          can_perform_action: this.callVerdict().ok,
          limits: this.policy.connectedCallLimits.map((l) =>
            limitView(l.periodSeconds, l.maxAllowed, this.callsCounted(l.periodSeconds)),
          ),
        },
      ],
    };
  }
}
