// What `/metrics` exposes (Prometheus text, prom-client): one registry per app, so several apps in one process
// (tests, an embedder) keep their counts apart.
import type { SubscriptionStore } from '@callpermit/store';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry: Registry;
  /** Webhook deliveries by what became of them: applied, duplicate, ignored, rejected, unsigned, malformed, too_large. */
  readonly webhooks: Counter<'outcome'>;
  /** Guard decisions: `allowed`, or `refused` with Meta's code. */
  readonly decisions: Counter<'result' | 'code'>;
  /** Upstream Graph calls by status (`timeout`, `unreachable` when there was none). */
  readonly upstream: Counter<'status'>;
  readonly upstreamSeconds: Histogram<'edge'>;
  /** Every HTTP request by route pattern and status. */
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  /** `?verify=meta`: fields where Meta's answer differed from callpermit's state. */
  readonly discrepancies: Counter<'field'>;
  /** The change feed: changes the materialiser wrote (time alone made them). */
  readonly materialised: Counter;
  /** Webhook deliveries by result: delivered, failed. */
  readonly deliveries: Counter<'result'>;
  readonly changesDelivered: Counter;
  /** Subscriptions by status, and which are paused, read from the store at each scrape. */
  readonly subscriptions: Gauge<'status'>;
  readonly subscriptionPaused: Gauge<'subscription'>;
  private subscriptionStore: SubscriptionStore | undefined;

  constructor(options: { registry?: Registry; processMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'callpermit_' });
    this.webhooks = new Counter({
      name: 'callpermit_webhooks_total',
      help: 'Webhook deliveries by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.decisions = new Counter({
      name: 'callpermit_guard_decisions_total',
      help: 'Permission requests and calls decided by the guard, by result and refusal code',
      labelNames: ['result', 'code'],
      registers,
    });
    this.upstream = new Counter({
      name: 'callpermit_upstream_requests_total',
      help: 'Graph API calls forwarded upstream, by status (timeout or unreachable when none)',
      labelNames: ['status'],
      registers,
    });
    this.upstreamSeconds = new Histogram({
      name: 'callpermit_upstream_duration_seconds',
      help: 'Latency of forwarded Graph API calls, by Graph edge',
      labelNames: ['edge'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'callpermit_http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.discrepancies = new Counter({
      name: 'callpermit_permission_discrepancies_total',
      help: "Fields where Meta's call_permissions answer (?verify=meta) differed from callpermit's state",
      labelNames: ['field'],
      registers,
    });
    this.materialised = new Counter({
      name: 'callpermit_changes_materialised_total',
      help: 'Changes time alone made (expiries, limits freed, windows closed), written by the materialiser',
      registers,
    });
    this.deliveries = new Counter({
      name: 'callpermit_webhook_deliveries_total',
      help: 'Webhook deliveries to change feed subscribers, by result (delivered, failed)',
      labelNames: ['result'],
      registers,
    });
    this.changesDelivered = new Counter({
      name: 'callpermit_webhook_changes_delivered_total',
      help: 'Changes delivered to change feed subscribers by webhook',
      registers,
    });
    const metrics = this;
    this.subscriptions = new Gauge({
      name: 'callpermit_subscriptions',
      help: 'Webhook subscriptions to the change feed, by status (active, paused)',
      labelNames: ['status'],
      registers,
      async collect() {
        const all = (await metrics.subscriptionStore?.list()) ?? [];
        for (const status of ['active', 'paused'])
          this.set({ status }, all.filter((s) => s.status === status).length);
      },
    });
    this.subscriptionPaused = new Gauge({
      name: 'callpermit_subscription_paused',
      help: 'Whether a webhook subscription is paused after failing too long (1) or active (0)',
      labelNames: ['subscription'],
      registers,
      async collect() {
        this.reset();
        for (const s of (await metrics.subscriptionStore?.list()) ?? [])
          this.set({ subscription: s.id }, s.status === 'paused' ? 1 : 0);
      },
    });
  }

  /** The subscriptions `/metrics` reports on. */
  watchSubscriptions(store: SubscriptionStore): void {
    this.subscriptionStore = store;
  }
}
