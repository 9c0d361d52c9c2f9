// The public surface of @callpermit/store: a durable FactStore (PGlite embedded, or PostgreSQL), its inbox
// of received bodies, and the SQL client port the two drivers implement.
export { BinaryCopyWriter } from './copyBinary.js';
export { DEFAULT_DISK_RESERVE_MB } from './diskReserve.js';
export { type EncodedBodies, EncodedBody, encodeBodies, encodeBody } from './encodedBody.js';
export {
  bodyHash,
  type Inbox,
  type InboxCounts,
  type InboxDelivery,
  type InboxEntry,
  type InboxOutcome,
  type InboxReceipt,
  type InboxSource,
  inboxOutcomes,
} from './inbox.js';
export { type Migration, migrate, migrations } from './migrations.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_QUERY_TIMEOUT_MS,
  type PostgresTimeouts,
} from './pgClient.js';
export { isPgliteCacheMb, PGLITE_CACHE_MB } from './pgliteClient.js';
export type { Row, SqlClient } from './sqlClient.js';
export {
  DATABASE_URL_ENV,
  defaultDataDir,
  LIMITS_ENV,
  openSqlClient,
  openStore,
  type Settings,
  SqlStore,
  type StoreOptions,
  storeOptionsFromEnv,
} from './store.js';
export {
  type DeliveryFailure,
  MemorySubscriptions,
  SqlSubscriptions,
  type Subscription,
  SubscriptionExists,
  type SubscriptionOrigin,
  type SubscriptionSpec,
  type SubscriptionStore,
} from './subscriptions.js';
export { startThrowawayPostgres, type ThrowawayPostgres } from './throwawayPostgres.js';
export { StoreUnavailable, type UnavailableReason, unavailableOf } from './unavailable.js';
