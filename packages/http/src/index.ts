// The public surface of @callpermit/http: the app factory (mount it, or serve it with `listen`) and the
// configuration the environment gives it.
export { type AppOptions, createApp, MAX_FORWARD_BYTES, MAX_WEBHOOK_BYTES, markDraining } from './app.js';
export { findToken } from './auth.js';
export {
  type ApiToken,
  configFromEnv,
  DEFAULT_GRAPH_TIMEOUT_MS,
  DEFAULT_SERVER_TIMEOUTS,
  ENV,
  type EnvConfig,
  type GraphUpstream,
  HttpConfigError,
  META_GRAPH_URL,
  MIN_TOKEN_LENGTH,
  parseApiTokens,
  parseSecrets,
  readGraphTokensFile,
  readSubscriptionsFile,
  type ServerTimeouts,
} from './config.js';
export type { AppEnv } from './context.js';
export { RETRY_AFTER_SECONDS } from './errors.js';
export {
  backoffSeconds,
  DEFAULT_DELIVERY_POLICY,
  type DeliveryPolicy,
} from './feed/delivery.js';
export { type FeedRunner, type FeedRunnerOptions, startFeedRunner } from './feed/runner.js';
export { deliverySignature, SIGNATURE_HEADER, verifyDeliverySignature } from './feed/signature.js';
export { type Listening, type ListenOptions, listen } from './listen.js';
export { createLogger } from './logger.js';
export { Metrics } from './metrics.js';
export { CAPTURES_SOURCE, type CaptureSummary } from './routes/captures.js';
export { RELAYED_RESPONSE_HEADERS } from './upstream.js';
