// What every route shares: the Hono environment (per-request variables) and the app's parts.
import type { Translator } from '@callpermit/cloud-api';
import type { Engine, Instant } from '@callpermit/core';
import type { LineRecorder } from '@callpermit/service';
import type { SubscriptionStore } from '@callpermit/store';
import type { Logger } from 'pino';
import type { ApiToken } from './config.js';
import type { Metrics } from './metrics.js';
import type { TemplateBook } from './templates.js';
import type { Upstream } from './upstream.js';

/** Per request: its id (logs, `X-Request-Id`, the `fbtrace_id` of our errors) and the caller's token. */
export interface AppEnv {
  Variables: {
    requestId: string;
    caller: ApiToken | undefined;
  };
}

/** The parts every route uses. */
export interface Parts {
  readonly engine: Engine;
  /** Stores received bodies with their facts, concurrent ones in one transaction (group commit). */
  readonly recorder: LineRecorder;
  readonly translator: Translator;
  readonly templates: TemplateBook;
  readonly upstream: Upstream;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now: () => Instant;
  readonly appSecrets: readonly string[];
  readonly verifyToken: string | undefined;
  readonly maxWebhookBytes: number;
  readonly maxForwardBytes: number;
  /** The change feed's webhook subscriptions: the store's, or the process's own over a plain FactStore. */
  readonly subscriptions: SubscriptionStore;
  /** How long a long poll or an event stream waits between two reads of the outbox (milliseconds). */
  readonly feedPollMs: number;
  /** How long an idle event stream waits before a heartbeat (milliseconds). */
  readonly feedHeartbeatMs: number;
}
