// The service's configuration: who may call it (API tokens, optionally limited to business numbers), the
// secrets Meta signs with, and the upstream Graph API with callpermit's own Meta tokens. `configFromEnv` reads
// the environment variables `callpermit serve` documents (docs/http.md).
import { readFile } from 'node:fs/promises';
import type { SubscriptionSpec } from '@callpermit/store';
import { subscriptionSpec } from './routes/subscriptions.js';
import { SubscriptionBodySchema } from './schemas.js';

/** A caller's bearer token, and the business ids (phone number or WABA ids) it may act for; none: all. */
export interface ApiToken {
  readonly token: string;
  readonly businesses?: ReadonlySet<string>;
}

export interface GraphUpstream {
  /** The Graph API base URL, e.g. `https://graph.facebook.com` (it may end in a version, `…/v23.0`). */
  readonly url: string;
  /** callpermit's Meta access token, for any business without one of its own in `tokens`. */
  readonly token?: string;
  /** A Meta token per business id (phone number id or WABA id): an ISV's one token per business. */
  readonly tokens?: ReadonlyMap<string, string>;
  /** How long an upstream call may take before the caller gets a 504 (milliseconds). */
  readonly timeoutMs: number;
}

/**
 * How long a client may take, so a slow or stalled one (slowloris, a body trickled a byte at a time) is cut
 * instead of holding a connection for ever. Milliseconds.
 */
export interface ServerTimeouts {
  /** To send the request's headers, from its first byte (Node's `headersTimeout`). Default 10 s. */
  readonly headersMs?: number;
  /**
   * To send the whole request, headers and body (Node's `requestTimeout`). Default 120 s: a large
   * `POST /v1/captures` over a slow link needs more, or `callpermit replay` on the file instead.
   */
  readonly requestMs?: number;
  /** An idle keep-alive connection is closed after this (Node's `keepAliveTimeout`). Default 5 s. */
  readonly keepAliveMs?: number;
}

export const DEFAULT_SERVER_TIMEOUTS: Required<ServerTimeouts> = {
  headersMs: 10_000,
  requestMs: 120_000,
  keepAliveMs: 5_000,
};

/** Meta's Graph API: the default upstream. */
export const META_GRAPH_URL = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_TIMEOUT_MS = 10_000;
/** Shorter tokens are refused: a caller's token is the only thing between the network and the API. */
export const MIN_TOKEN_LENGTH = 16;

/** The environment variables the service reads. */
export const ENV = {
  appSecret: 'CALLPERMIT_APP_SECRET',
  verifyToken: 'CALLPERMIT_VERIFY_TOKEN',
  apiTokens: 'CALLPERMIT_API_TOKENS',
  graphUrl: 'CALLPERMIT_GRAPH_URL',
  graphToken: 'CALLPERMIT_GRAPH_TOKEN',
  graphTokensFile: 'CALLPERMIT_GRAPH_TOKENS_FILE',
  graphTimeoutMs: 'CALLPERMIT_GRAPH_TIMEOUT_MS',
  headersTimeoutMs: 'CALLPERMIT_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'CALLPERMIT_REQUEST_TIMEOUT_MS',
  keepAliveTimeoutMs: 'CALLPERMIT_KEEP_ALIVE_TIMEOUT_MS',
  logLevel: 'CALLPERMIT_LOG_LEVEL',
  subscriptionsFile: 'CALLPERMIT_SUBSCRIPTIONS_FILE',
} as const;

/** A configuration the service cannot run with: one line saying what and why. */
export class HttpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpConfigError';
  }
}

const TOKEN = /^[A-Za-z0-9._~+/=-]+$/;
const BUSINESS_ID = /^\d{1,32}$/;

/**
 * `CALLPERMIT_API_TOKENS`: tokens separated by commas; a token may be followed by `:` and the business ids
 * (phone number ids, or WABA ids for template calls) it is limited to, separated by `|`:
 * `tokenA,tokenB:109876543210987|102938475610293`. Tokens are letters, digits and `._~+/=-`, at least 16 long.
 */
export function parseApiTokens(text: string): ApiToken[] {
  const tokens: ApiToken[] = [];
  for (const [i, entry] of text.split(',').entries()) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const where = `${ENV.apiTokens} entry ${i + 1}`;
    const colon = trimmed.indexOf(':');
    const token = colon < 0 ? trimmed : trimmed.slice(0, colon);
    if (!TOKEN.test(token))
      throw new HttpConfigError(`${where}: a token is letters, digits and ._~+/=- only`);
    if (token.length < MIN_TOKEN_LENGTH)
      throw new HttpConfigError(`${where}: a token must be at least ${MIN_TOKEN_LENGTH} characters long`);
    if (colon < 0) {
      tokens.push({ token });
      continue;
    }
    const ids = trimmed
      .slice(colon + 1)
      .split('|')
      .map((id) => id.trim());
    const bad = ids.find((id) => !BUSINESS_ID.test(id));
    if (bad !== undefined)
      throw new HttpConfigError(`${where}: ${JSON.stringify(bad)} is not a business id (digits only)`);
    tokens.push({ token, businesses: new Set(ids) });
  }
  return tokens;
}

/** The secrets in `CALLPERMIT_APP_SECRET`: several, separated by commas, while one is rotated. */
export function parseSecrets(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `CALLPERMIT_GRAPH_TOKENS_FILE`: a JSON object from business id (phone number or WABA id) to Meta token. */
export async function readGraphTokensFile(file: string): Promise<Map<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new HttpConfigError(
      `${ENV.graphTokensFile} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new HttpConfigError(`${ENV.graphTokensFile} ${file}: expected an object of business id → token`);
  const tokens = new Map<string, string>();
  for (const [id, token] of Object.entries(json as Record<string, unknown>)) {
    if (!BUSINESS_ID.test(id))
      throw new HttpConfigError(`${ENV.graphTokensFile} ${file}: ${JSON.stringify(id)} is not a business id`);
    if (typeof token !== 'string' || token.trim() === '')
      throw new HttpConfigError(
        `${ENV.graphTokensFile} ${file}: the token of ${id} must be a non-empty string`,
      );
    tokens.set(id, token.trim());
  }
  return tokens;
}

const FileSubscriptionSchema = SubscriptionBodySchema.extend({
  id: SubscriptionBodySchema.shape.id.unwrap(),
});

/**
 * `CALLPERMIT_SUBSCRIPTIONS_FILE`: the change feed's webhook subscriptions an operator keeps in a file, a JSON
 * array of the bodies `POST /v1/subscriptions` takes, each with its `id` (docs/changes.md). An error names the
 * entry, the field and what is wrong.
 */
export async function readSubscriptionsFile(file: string): Promise<SubscriptionSpec[]> {
  const where = `${ENV.subscriptionsFile} ${file}`;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new HttpConfigError(
      `${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (!Array.isArray(json)) throw new HttpConfigError(`${where}: expected an array of subscriptions`);
  const ids = new Set<string>();
  return json.map((entry, i) => {
    const parsed = FileSubscriptionSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? `field ${issue.path.join('.')}: ` : '';
      throw new HttpConfigError(`${where}: entry ${i + 1}: ${field}${issue?.message ?? 'invalid'}`);
    }
    if (ids.has(parsed.data.id))
      throw new HttpConfigError(
        `${where}: entry ${i + 1}: id ${JSON.stringify(parsed.data.id)} appears twice`,
      );
    ids.add(parsed.data.id);
    return subscriptionSpec(parsed.data);
  });
}

/** What the environment configures; `createApp` takes it as part of its options. */
export interface EnvConfig {
  readonly appSecrets: string[];
  readonly verifyToken?: string;
  readonly apiTokens: ApiToken[];
  readonly graph: GraphUpstream;
  /** For `listen`: how long a client may take (slow clients are cut). */
  readonly server: Required<ServerTimeouts>;
  readonly logLevel: string;
  /** The subscriptions file's entries, when `CALLPERMIT_SUBSCRIPTIONS_FILE` names one. */
  readonly fileSubscriptions?: SubscriptionSpec[];
}

/** A variable of milliseconds: a positive whole number, or `fallback` when unset. */
function milliseconds(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
): number {
  const text = env[name]?.trim();
  const value = text ? Number(text) : fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new HttpConfigError(`${name}: expected a positive number of milliseconds`);
  return value;
}

/** Reads the service's environment variables (see `ENV`), checking each; the tokens file is read too. */
export async function configFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<EnvConfig> {
  const url = env[ENV.graphUrl]?.trim() || META_GRAPH_URL;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new HttpConfigError(`${ENV.graphUrl}: ${JSON.stringify(url)} is not an http(s) URL`);
  }
  const timeoutMs = milliseconds(env, ENV.graphTimeoutMs, DEFAULT_GRAPH_TIMEOUT_MS);
  const server = {
    headersMs: milliseconds(env, ENV.headersTimeoutMs, DEFAULT_SERVER_TIMEOUTS.headersMs),
    requestMs: milliseconds(env, ENV.requestTimeoutMs, DEFAULT_SERVER_TIMEOUTS.requestMs),
    keepAliveMs: milliseconds(env, ENV.keepAliveTimeoutMs, DEFAULT_SERVER_TIMEOUTS.keepAliveMs),
  };
  // Node refuses a headers timeout longer than the request's: the request includes its headers.
  if (server.headersMs > server.requestMs)
    throw new HttpConfigError(
      `${ENV.headersTimeoutMs} (${server.headersMs}) must not exceed ${ENV.requestTimeoutMs} (${server.requestMs})`,
    );
  const file = env[ENV.graphTokensFile]?.trim();
  const token = env[ENV.graphToken]?.trim();
  const verifyToken = env[ENV.verifyToken]?.trim();
  const subscriptionsFile = env[ENV.subscriptionsFile]?.trim();
  return {
    appSecrets: parseSecrets(env[ENV.appSecret]),
    ...(verifyToken ? { verifyToken } : {}),
    apiTokens: parseApiTokens(env[ENV.apiTokens] ?? ''),
    graph: {
      url,
      timeoutMs,
      ...(token ? { token } : {}),
      ...(file ? { tokens: await readGraphTokensFile(file) } : {}),
    },
    server,
    logLevel: env[ENV.logLevel]?.trim() || 'info',
    ...(subscriptionsFile ? { fileSubscriptions: await readSubscriptionsFile(subscriptionsFile) } : {}),
  };
}
