// A callpermit app served on loopback for a test, over the store the test chooses, with the helpers a caller
// needs: signed webhook deliveries and authenticated API calls.
import { webhookSignature } from '@callpermit/cloud-api';
import { Engine, type Instant, MemoryFactStore, type PolicyBook } from '@callpermit/core';
import { MemorySubscriptions, openStore, type SqlStore, type SubscriptionStore } from '@callpermit/store';
import { type Logger, pino } from 'pino';
import { type AppOptions, createApp } from '../app.js';
import { parseApiTokens, type ServerTimeouts } from '../config.js';
import { type FeedRunner, type FeedRunnerOptions, startFeedRunner } from '../feed/runner.js';
import { type Listening, listen } from '../listen.js';
import { Metrics } from '../metrics.js';

export const SECRET = 'app-secret-one';
export const OLD_SECRET = 'app-secret-zero';
export const VERIFY_TOKEN = 'verify-me-please';
/** An unlimited caller token, and one limited to BUSINESS and WABA (see @callpermit/testing/wire). */
export const TOKEN = 'caller-token-0123456789';
export const SCOPED_TOKEN = 'scoped-token-0123456789';
export const META_TOKEN = 'meta-token-for-callpermit';
export const OTHER_BUSINESS = '109876543219999';

export interface TestService {
  readonly url: string;
  readonly engine: Engine;
  /** The SQL store when the service runs over one. */
  readonly store: SqlStore | undefined;
  readonly metrics: Metrics;
  readonly server: Listening;
  /** The change feed's subscriptions, and its loops when the test asked for `feed`. */
  readonly subscriptions: SubscriptionStore;
  readonly feed: FeedRunner | undefined;
  /** A request with the unlimited token (unless `headers` names another authorization). */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** Delivers a webhook body signed with `secret`. */
  deliver(body: string, secret?: string): Promise<Response>;
  close(): Promise<void>;
}

export interface TestServiceOptions extends Omit<AppOptions, 'logger' | 'metrics'> {
  /** `memory` (MemoryFactStore, no inbox), `pglite` (in memory) or a SqlStore the test opened. */
  readonly store?: 'memory' | 'pglite' | SqlStore;
  readonly policy?: PolicyBook;
  readonly logger?: Logger;
  /** The change feed on, with its loops (materialiser, deliverer) running as `serve` runs them. */
  readonly feed?: Omit<FeedRunnerOptions, 'engine' | 'subscriptions' | 'metrics' | 'log'>;
  /** For `listen`: how long a client may take. */
  readonly timeouts?: ServerTimeouts;
}

export async function startService(options: TestServiceOptions = {}): Promise<TestService> {
  const given = options.store ?? 'pglite';
  const store =
    given === 'memory' ? undefined : given === 'pglite' ? await openStore({ dataDir: 'memory://' }) : given;
  const engine = new Engine(store ?? new MemoryFactStore(), {
    ...(options.policy ? { policy: options.policy } : {}),
    changeFeed: options.feed !== undefined,
  });
  const metrics = new Metrics();
  const logger = options.logger ?? pino({ level: 'silent' });
  const subscriptions =
    options.subscriptions ?? store?.subscriptions ?? new MemorySubscriptions(engine.store);
  const { store: _store, policy: _policy, feed: feedOptions, timeouts, ...appOptions } = options;
  const feed =
    feedOptions === undefined
      ? undefined
      : await startFeedRunner({ ...feedOptions, engine, subscriptions, metrics, log: logger });
  const app = createApp(engine, {
    appSecrets: [SECRET],
    verifyToken: VERIFY_TOKEN,
    apiTokens: parseApiTokens(`${TOKEN},${SCOPED_TOKEN}:109876543210987|102938475610293`),
    ...appOptions,
    subscriptions,
    logger,
    metrics,
  });
  const server = await listen(app, { port: 0, ...(timeouts === undefined ? {} : { timeouts }) });
  return {
    url: server.url,
    engine,
    store,
    metrics,
    server,
    subscriptions,
    feed,
    call: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TOKEN}`);
      return fetch(`${server.url}${path}`, { ...init, headers });
    },
    deliver: (body, secret = SECRET) =>
      fetch(`${server.url}/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': webhookSignature(body, secret),
        },
        body,
      }),
    close: async () => {
      await Promise.all([server.close(1000), feed?.stop()]);
      if (given !== 'memory' && typeof given === 'string') await store?.close();
    },
  };
}

/** A POST of JSON with the unlimited token. */
export function postJson(service: TestService, path: string, body: unknown): Promise<Response> {
  return service.call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Now, in Unix seconds: the service's clock is the real one. */
export function nowSeconds(): Instant {
  return Math.floor(Date.now() / 1000);
}

/** A response's JSON, read field by field in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions check the shape.
export async function bodyOf(response: Response): Promise<any> {
  return response.json();
}
