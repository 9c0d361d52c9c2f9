// Outbound webhooks: each subscription's changes, in sequence order, POSTed as signed JSON to its URL. A
// subscription is claimed (a lease in the store) while one of its deliveries is in flight, so several
// instances deliver each change once between them; its cursor moves only once the subscriber answered 2xx
// (at-least-once: a delivery whose answer is lost is sent again). A failure is retried with exponential
// backoff and jitter; a subscription failing for `giveUpSeconds` (24 h) is paused until resumed. Changes go
// out in global order, one delivery at a time per subscription (deliveries to different subscriptions go out
// side by side), so every pair's changes arrive in order.
import type { FactStore, StoredChange } from '@callpermit/core';
import type { Subscription, SubscriptionStore } from '@callpermit/store';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { deliverySignature, SIGNATURE_HEADER } from './signature.js';
import { changeOnWire } from './wire.js';

/** Every number of the delivery loop, with its default. */
export interface DeliveryPolicy {
  /** Changes per delivery at most. */
  readonly batch: number;
  /** How long a subscriber has to answer (milliseconds). */
  readonly timeoutMs: number;
  /** How long a claim holds a subscription: longer than a delivery can take (seconds). */
  readonly leaseSeconds: number;
  /** How long a subscription with nothing to deliver waits before looking again (seconds). */
  readonly idleSeconds: number;
  /** The wait after the first failure; each further failure doubles it, up to `maxBackoffSeconds` (seconds). */
  readonly firstBackoffSeconds: number;
  readonly maxBackoffSeconds: number;
  /** A subscription that keeps failing this long is paused (seconds). */
  readonly giveUpSeconds: number;
  /** Deliveries in flight at once at most (each to another subscription). */
  readonly maxInFlight: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = Object.freeze({
  batch: 100,
  timeoutMs: 10_000,
  leaseSeconds: 60,
  idleSeconds: 1,
  firstBackoffSeconds: 1,
  maxBackoffSeconds: 3600,
  giveUpSeconds: 86_400,
  maxInFlight: 100,
});

export interface DelivererParts {
  readonly store: FactStore;
  readonly subscriptions: SubscriptionStore;
  /** This process's name in the claims it makes. */
  readonly owner: string;
  /** The clock, Unix seconds with fractions: the adapter's only clock read for deliveries. */
  readonly now: () => number;
  /** In [0, 1): the jitter. */
  readonly random: () => number;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly policy?: Partial<DeliveryPolicy>;
}

/** The wait before attempt `failures + 1`: doubled each time, capped, then jittered into [½, 1] of it. */
export function backoffSeconds(policy: DeliveryPolicy, failures: number, random: number): number {
  const full = Math.min(
    policy.maxBackoffSeconds,
    policy.firstBackoffSeconds * 2 ** Math.max(0, failures - 1),
  );
  return full * (0.5 + random / 2);
}

export class Deliverer {
  private readonly policy: DeliveryPolicy;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly parts: DelivererParts) {
    this.policy = { ...DEFAULT_DELIVERY_POLICY, ...parts.policy };
  }

  /**
   * Starts a delivery to every subscription due now that no one is delivering to (up to `maxInFlight` in
   * flight), and returns how many it started without waiting for them: a slow subscriber holds back no other
   * one, nor the next round. `stop` waits for them.
   */
  async round(): Promise<number> {
    let started = 0;
    while (!this.stopped && this.inFlight.size < this.policy.maxInFlight) {
      const sub = await this.parts.subscriptions.claim(
        this.parts.owner,
        this.parts.now(),
        this.policy.leaseSeconds,
      );
      if (sub === undefined) break;
      started++;
      const serving: Promise<void> = this.serve(sub)
        // A backlog is sent batch after batch, not one batch per round.
        .then((more) => (more && !this.stopped ? this.round().then(() => {}) : undefined))
        .catch((error: Error) =>
          // Its lease runs out and a later claim tries again (the database away for a moment).
          this.parts.log.error(
            { subscription: sub.id, err: { name: error.name, message: error.message } },
            'webhook delivery step failed',
          ),
        )
        .finally(() => this.inFlight.delete(serving));
      this.inFlight.add(serving);
    }
    return started;
  }

  /** Starts no more deliveries, and resolves when those in flight have ended (cursor moved or failure recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** One delivery (or a look that found nothing to send); whether the subscription has more to send now. */
  private async serve(sub: Subscription): Promise<boolean> {
    const { subscriptions, owner } = this.parts;
    const read = await this.parts.store.readChanges(
      sub.cursor,
      this.policy.batch,
      sub.businesses ?? undefined,
    );
    const now = this.parts.now();
    const last = read.at(-1)?.seq ?? sub.cursor;
    const more = read.length === this.policy.batch;
    const next = more ? now : now + this.policy.idleSeconds;
    const kinds = sub.kinds === null ? undefined : new Set(sub.kinds);
    const changes = kinds === undefined ? read : read.filter((c) => kinds.has(c.kind));
    if (changes.length === 0) {
      const advanced = await subscriptions.advance(sub.id, owner, last, 0, next);
      return more && advanced;
    }
    const failure = await this.post(sub, changes);
    if (failure === undefined) {
      this.parts.metrics.deliveries.inc({ result: 'delivered' });
      this.parts.metrics.changesDelivered.inc(changes.length);
      const advanced = await subscriptions.advance(sub.id, owner, last, changes.length, next);
      return more && advanced;
    }
    const failures = sub.failures + 1;
    const failingSince = sub.failingSince ?? now;
    const pause = now - failingSince >= this.policy.giveUpSeconds;
    this.parts.metrics.deliveries.inc({ result: 'failed' });
    this.parts.log.warn(
      { subscription: sub.id, failures, error: failure, paused: pause },
      pause ? 'webhook delivery failing for too long: subscription paused' : 'webhook delivery failed',
    );
    await subscriptions.fail(sub.id, owner, {
      failures,
      failingSince,
      nextAttemptAt: now + backoffSeconds(this.policy, failures, this.parts.random()),
      lastError: failure,
      pause,
    });
    return false;
  }

  /** POSTs the changes, signed; undefined when the subscriber took them (2xx), else why not. */
  private async post(sub: Subscription, changes: readonly StoredChange[]): Promise<string | undefined> {
    const body = JSON.stringify({ subscription: sub.id, changes: changes.map(changeOnWire) });
    const timestamp = Math.floor(this.parts.now());
    try {
      const response = await fetch(sub.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'callpermit-webhooks',
          [SIGNATURE_HEADER]: deliverySignature(sub.secret, timestamp, body),
          'x-callpermit-subscription': sub.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      // The body is not read: only the status counts. Cancelling frees the connection.
      await response.body?.cancel().catch(() => {});
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return e.name === 'TimeoutError'
        ? `no answer within ${this.policy.timeoutMs} ms`
        : (e.cause?.code ?? e.message);
    }
  }
}
