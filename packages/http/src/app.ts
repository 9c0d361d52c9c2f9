// The app factory: every route over an Engine (any store), ready to mount in a service's own process or to
// serve with `listen`. Routes, authentication, metrics and logs only: rules are core's, wire details
// cloud-api's, SQL the store's.
import { randomUUID } from 'node:crypto';
import { Translator } from '@callpermit/cloud-api';
import { type Engine, type Instant, InvalidInput } from '@callpermit/core';
import { LineRecorder, StoreUnavailable } from '@callpermit/service';
import { MemorySubscriptions, type SubscriptionStore } from '@callpermit/store';
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { requireToken } from './auth.js';
import { limitBody } from './bodyLimit.js';
import {
  type ApiToken,
  DEFAULT_GRAPH_TIMEOUT_MS,
  type GraphUpstream,
  HttpConfigError,
  META_GRAPH_URL,
} from './config.js';
import type { AppEnv, Parts } from './context.js';
import { errorResponse, GraphCode, invalidParameter, storeUnavailable } from './errors.js';
import { nodeProblem, parseGraphPath } from './graphPath.js';
import { bsuid, graphVersion, instantParam, phoneNumberId, userWaId } from './identifiers.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { captures } from './routes/captures.js';
import {
  changeStream,
  changesPage,
  DEFAULT_PAGE,
  HEARTBEAT_MS,
  MAX_PAGE,
  MAX_WAIT_SECONDS,
} from './routes/changes.js';
import { graphRequest } from './routes/graph.js';
import { health, metrics, readiness } from './routes/operations.js';
import {
  createSubscription,
  deleteSubscription,
  listSubscriptions,
  resumeSubscription,
} from './routes/subscriptions.js';
import { timeline } from './routes/timeline.js';
import { delivery, verification } from './routes/webhook.js';
import {
  CallActionSchema,
  CallPermissionsSchema,
  CaptureSummarySchema,
  ChangesPageSchema,
  GraphAnswerSchema,
  GraphErrorSchema,
  MessageSendSchema,
  RequestsSchema,
  SubscriptionBodySchema,
  SubscriptionSchema,
  WebhookAckSchema,
  WebhookBodySchema,
} from './schemas.js';
import { DEFAULT_TEMPLATE_REFRESH_SECONDS, TemplateBook } from './templates.js';
import { Upstream } from './upstream.js';

/** Meta's limit for a webhook payload. */
export const MAX_WEBHOOK_BYTES = 3 * 1024 * 1024;
/** Bodies forwarded to the Graph API are read whole (they are recorded): media uploads included. */
export const MAX_FORWARD_BYTES = 64 * 1024 * 1024;

export interface AppOptions {
  /** Meta app secrets webhooks are signed with: every one is accepted (rotation). */
  readonly appSecrets?: readonly string[];
  /** The token of Meta's verification handshake (GET /webhook). */
  readonly verifyToken?: string;
  /** Callers' bearer tokens (see `parseApiTokens`). */
  readonly apiTokens?: readonly ApiToken[];
  /** The upstream Graph API; default Meta's, with no token (so forwarding fails with 502 until one is given). */
  readonly graph?: Partial<GraphUpstream>;
  /**
   * Without app secrets, webhooks are not checked; without API tokens, callers are not: only with `insecure`
   * (`callpermit serve --insecure-dev`, loopback only). Otherwise both are required.
   */
  readonly insecure?: boolean;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** The clock (Unix seconds): the service's only clock read. */
  readonly now?: () => Instant;
  readonly maxWebhookBytes?: number;
  readonly maxForwardBytes?: number;
  readonly templateRefreshSeconds?: number;
  /**
   * The change feed's webhook subscriptions; default the store's (`SqlStore.subscriptions`), or, over a plain
   * FactStore, the process's own (`MemorySubscriptions`).
   */
  readonly subscriptions?: SubscriptionStore;
  /** How long long polls and event streams wait between two reads of the outbox (default 250 ms). */
  readonly feedPollMs?: number;
  /** How long an idle event stream waits before saying it is alive (default 15 s). */
  readonly feedHeartbeatMs?: number;
}

/** The subscriptions an app over `engine` uses unless given some. */
function subscriptionsOf(engine: Engine): SubscriptionStore {
  const store = engine.store as { subscriptions?: SubscriptionStore };
  return store.subscriptions ?? new MemorySubscriptions(engine.store);
}

/** The paths open without a token. */
const OPEN_PATHS = new Set(['/webhook', '/healthz', '/readyz', '/metrics', '/openapi.json']);
const REQUEST_ID = /^[\w.:-]{1,64}$/;
/** `/v1/` (callpermit's own), `/vNN.N/` (Meta's version) and no prefix reach the same handlers. */
const GRAPH_PREFIXES = [
  { path: '/v1', params: {} },
  { path: '/{version}', params: { version: graphVersion } },
  { path: '', params: {} },
] as const;

const draining = new WeakMap<object, { value: boolean }>();

/** Tells an app it is shutting down: /readyz answers 503 from now on (see `listen`). */
export function markDraining(app: object): void {
  const flag = draining.get(app);
  if (flag) flag.value = true;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const graphErrors = {
  400: json(GraphErrorSchema, 'Invalid parameter, or a refusal: 138009, 138012, 138017, 131047'),
  401: json(GraphErrorSchema, 'No valid token, or a refusal: 138006, 138000'),
  403: json(GraphErrorSchema, 'The token may not act for this business'),
};
const security = [{ bearer: [] }];
/** The user a pair query names: a wa_id, or a business-scoped user id. */
const pairQuery = { user_wa_id: userWaId.optional(), recipient: bsuid.optional() };

/**
 * The app: Meta's webhooks, the permission API, the guard proxy and the operators' routes, over `engine`.
 * With a store that keeps an inbox (a SqlStore) every body received is kept with its facts; over a plain
 * FactStore (e.g. MemoryFactStore) only the facts are.
 */
export function createApp(engine: Engine, options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const appSecrets = [...(options.appSecrets ?? [])];
  const apiTokens = [...(options.apiTokens ?? [])];
  if (!options.insecure && appSecrets.length === 0)
    throw new HttpConfigError('no app secret: webhooks could not be verified (set CALLPERMIT_APP_SECRET)');
  if (!options.insecure && apiTokens.length === 0)
    throw new HttpConfigError('no API token: anyone could call the API (set CALLPERMIT_API_TOKENS)');
  const translator = new Translator();
  const parts: Parts = {
    engine,
    recorder: new LineRecorder(engine),
    translator,
    templates: new TemplateBook(
      engine.store,
      translator,
      options.templateRefreshSeconds ?? DEFAULT_TEMPLATE_REFRESH_SECONDS,
    ),
    upstream: new Upstream({
      url: options.graph?.url ?? META_GRAPH_URL,
      timeoutMs: options.graph?.timeoutMs ?? DEFAULT_GRAPH_TIMEOUT_MS,
      ...(options.graph?.token === undefined ? {} : { token: options.graph.token }),
      ...(options.graph?.tokens === undefined ? {} : { tokens: options.graph.tokens }),
    }),
    metrics: options.metrics ?? new Metrics(),
    log: options.logger ?? createLogger(),
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    appSecrets,
    verifyToken: options.verifyToken,
    maxWebhookBytes: options.maxWebhookBytes ?? MAX_WEBHOOK_BYTES,
    maxForwardBytes: options.maxForwardBytes ?? MAX_FORWARD_BYTES,
    subscriptions: options.subscriptions ?? subscriptionsOf(engine),
    feedPollMs: options.feedPollMs ?? 250,
    feedHeartbeatMs: options.feedHeartbeatMs ?? HEARTBEAT_MS,
  };
  parts.metrics.watchSubscriptions(parts.subscriptions);

  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `Param ${issue.path.join('.')} ` : '';
      return invalidParameter(c as Context<AppEnv>, `${where}${issue?.message ?? 'is invalid'}`);
    },
  });
  const state = { value: false };
  draining.set(app, state);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from CALLPERMIT_API_TOKENS',
  });

  app.use('*', requestContext(parts));
  const authenticate = requireToken(apiTokens);
  app.use('*', (c, next) => (OPEN_PATHS.has(c.req.path) ? next() : authenticate(c, next)));
  app.onError((error, c) => {
    // An input core refuses (a user id of no known shape, an instant out of range) is the caller's mistake.
    if (error instanceof InvalidInput) return invalidParameter(c, error.message);
    // The database is down, read-only or full: nothing was stored; the caller (Meta too) should try again.
    if (error instanceof StoreUnavailable) {
      parts.log.warn(
        { req_id: c.get('requestId'), reason: error.reason, err: { message: error.message } },
        'store unavailable',
      );
      return storeUnavailable(c, error);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      const message = status === 415 ? 'Unsupported Media Type: send JSON' : error.message || 'Bad request';
      return errorResponse(
        c,
        status,
        status >= 500 ? GraphCode.unknown : GraphCode.invalidParameter,
        `(#100) ${message}`,
      );
    }
    parts.log.error(
      { req_id: c.get('requestId'), err: { name: error.name, message: error.message } },
      'request failed',
    );
    return errorResponse(c, 500, GraphCode.unknown, 'An unknown error occurred');
  });
  app.notFound((c) => errorResponse(c, 404, GraphCode.invalidParameter, '(#100) Unknown path'));

  const forwardLimit = limitBody(parts.maxForwardBytes);
  /** The raw bytes are read (and cached) before any validator parses them: they are forwarded verbatim. */
  const rawBodyFirst: MiddlewareHandler<AppEnv> = async (c, next) => {
    await c.req.arrayBuffer();
    await next();
  };
  const graph = (c: Context<AppEnv>) => {
    const path = parseGraphPath(c.req.path);
    // A single segment that is no node id (`/favicon.ico`) is no Graph call.
    if (
      path === undefined ||
      (path.prefix === 'bare' && path.rest.length === 0 && nodeProblem(path.node) !== undefined)
    )
      return errorResponse(c, 404, GraphCode.invalidParameter, '(#100) Unknown path');
    return graphRequest(c, parts, path);
  };

  // Operators.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness',
      responses: { 200: json(z.object({ status: z.literal('ok') }), 'The process answers') },
    }),
    (c) => health(c) as never,
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: the store answers (503 with Retry-After when it does not, or while shutting down)',
      responses: {
        200: json(z.object({ status: z.literal('ready') }), 'Ready'),
        503: json(z.object({ status: z.literal('unavailable'), reason: z.string() }), 'Not ready'),
      },
    }),
    (c) => readiness(c, parts, () => state.value) as never,
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      responses: {
        200: { content: { 'text/plain': { schema: z.string() } }, description: 'Prometheus text format' },
      },
    }),
    (c) => metrics(c, parts) as never,
  );

  // Meta's webhooks.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhook',
      summary: "Meta's verification handshake",
      request: {
        query: z.object({
          'hub.mode': z.string().optional().openapi({ example: 'subscribe' }),
          'hub.verify_token': z.string().optional(),
          'hub.challenge': z.string().optional().openapi({ example: '1158201444' }),
        }),
      },
      responses: {
        200: { content: { 'text/plain': { schema: z.string() } }, description: 'hub.challenge, echoed' },
        403: {
          content: { 'text/plain': { schema: z.string() } },
          description: 'Not subscribe, or a wrong token',
        },
      },
    }),
    (c) => verification(c, parts) as never,
  );
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/webhook',
    summary: 'A signed webhook delivery: stored (inbox + facts, one transaction) before 200',
    request: {
      headers: z.object({ 'x-hub-signature-256': z.string().openapi({ example: 'sha256=3f9a…' }) }),
      body: { content: { 'application/json': { schema: WebhookBodySchema } }, required: true },
    },
    responses: {
      200: json(WebhookAckSchema, 'Stored (or a redelivery, which changes nothing)'),
      400: json(GraphErrorSchema, 'Malformed JSON (kept as rejected)'),
      401: json(GraphErrorSchema, 'X-Hub-Signature-256 missing or wrong: nothing stored'),
      413: json(GraphErrorSchema, 'Larger than 3 MB'),
    },
  });
  app.post('/webhook', limitBody(parts.maxWebhookBytes), (c) => delivery(c, parts));

  // The permission API and the guard proxy.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/captures',
    summary: 'Ingest capture lines (NDJSON, the capture format); needs an unlimited token',
    security,
    request: {
      body: { content: { 'application/x-ndjson': { schema: z.string() } }, required: true },
    },
    responses: {
      200: json(CaptureSummarySchema, 'The counts of `replay --json` and every refused line'),
      401: graphErrors[401],
      403: graphErrors[403],
    },
  });
  app.post('/v1/captures', (c) => captures(c, parts));
  // The change feed: a long poll, an event stream, and webhook subscriptions.
  const feedErrors = { 400: graphErrors[400], 401: graphErrors[401], 403: graphErrors[403] };
  const cursorParams = {
    after: z.coerce.number().int().nonnegative().optional().openapi({
      description: 'The last sequence number seen (default 0: from the beginning)',
    }),
    business: z.string().optional().openapi({
      description:
        'Only these businesses (phone number ids, comma-separated); a limited token sees only its own',
    }),
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/changes',
      summary:
        'The change feed after a cursor, in sequence order; waits up to `wait` seconds for a change (long poll)',
      security,
      request: {
        query: z.object({
          ...cursorParams,
          wait: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).optional(),
          limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional().openapi({ example: DEFAULT_PAGE }),
        }),
      },
      responses: {
        200: json(ChangesPageSchema, 'The next changes (none when `wait` ran out)'),
        ...feedErrors,
      },
    }),
    (c) => changesPage(c as never, parts, c.req.valid('query'), () => state.value) as never,
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/changes/stream',
      summary:
        'The change feed as Server-Sent Events (`id:` the sequence number; resumes from Last-Event-ID)',
      security,
      request: {
        query: z.object(cursorParams),
        headers: z.object({ 'last-event-id': z.string().optional() }),
      },
      responses: {
        200: {
          content: { 'text/event-stream': { schema: z.string() } },
          description: '`event: change`, `data:` a Change as JSON; `: heartbeat` comments while idle',
        },
        ...feedErrors,
      },
    }),
    (c) => changeStream(c as never, parts, c.req.valid('query'), () => state.value) as never,
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/subscriptions',
      summary: 'A webhook subscription to the change feed: signed deliveries to a URL, retried, in order',
      security,
      request: {
        body: { content: { 'application/json': { schema: SubscriptionBodySchema } }, required: true },
      },
      responses: { 201: json(SubscriptionSchema, 'Made'), ...feedErrors },
    }),
    (c) => createSubscription(c as never, parts, c.req.valid('json')) as never,
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/subscriptions',
      summary: 'The webhook subscriptions with their delivery state (paused ones included)',
      security,
      responses: { 200: json(z.object({ data: z.array(SubscriptionSchema) }), 'By id'), ...feedErrors },
    }),
    ((c: Context<AppEnv>) => listSubscriptions(c, parts)) as never,
  );
  const subscriptionId = z.object({ id: z.string().openapi({ example: 'crm' }) });
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/subscriptions/{id}',
      summary: 'Removes a webhook subscription',
      security,
      request: { params: subscriptionId },
      responses: {
        204: { description: 'Removed' },
        404: json(GraphErrorSchema, 'No such subscription'),
        ...feedErrors,
      },
    }),
    ((c: Context<AppEnv>) => deleteSubscription(c, parts, c.req.param('id') as string)) as never,
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/subscriptions/{id}/resume',
      summary: 'Starts a paused webhook subscription again, from its cursor',
      security,
      request: { params: subscriptionId },
      responses: {
        200: json(SubscriptionSchema, 'Active'),
        404: json(GraphErrorSchema, 'No such subscription'),
        ...feedErrors,
      },
    }),
    ((c: Context<AppEnv>) => resumeSubscription(c, parts, c.req.param('id') as string)) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/{phone_number_id}/call_permissions/requests',
      summary: "The pair's permission requests with their lifecycle at an instant",
      security,
      request: {
        params: z.object({ phone_number_id: phoneNumberId }),
        query: z.object({
          ...pairQuery,
          at: instantParam.optional(),
        }),
      },
      responses: { 200: json(RequestsSchema, 'Oldest first'), ...graphErrors },
    }),
    graph as never,
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/{phone_number_id}/timeline',
      summary: "The pair's timeline page: permission, requests, usage against each limit, calls, refusals",
      security,
      request: {
        params: z.object({ phone_number_id: phoneNumberId }),
        query: z.object({
          ...pairQuery,
          since: instantParam.optional(),
          until: instantParam.optional(),
        }),
      },
      responses: {
        200: {
          content: { 'text/html': { schema: z.string() } },
          description: 'One self-contained HTML page (inline SVG, CSS and script; no external asset)',
        },
        ...graphErrors,
      },
    }),
    ((c: Context<AppEnv>) => timeline(c, parts)) as never,
  );
  for (const prefix of GRAPH_PREFIXES) {
    const tag = prefix.path === '/v1' ? 'callpermit' : prefix.path === '' ? 'Graph (no version)' : 'Graph';
    app.openapi(
      createRoute({
        method: 'get',
        path: `${prefix.path}/{phone_number_id}/call_permissions`,
        tags: [tag],
        summary: "Meta's call_permissions body from callpermit's state (verify=meta asks Meta and compares)",
        security,
        request: {
          params: z.object({ ...prefix.params, phone_number_id: phoneNumberId }),
          query: z.object({
            ...pairQuery,
            at: instantParam.optional(),
            verify: z.enum(['meta']).optional(),
          }),
        },
        responses: {
          200: json(CallPermissionsSchema, "Meta's body (Meta's own with verify=meta)"),
          ...graphErrors,
        },
      }),
      graph as never,
    );
    for (const [edge, schema, summary] of [
      [
        'messages',
        MessageSendSchema,
        'A message: permission requests (interactive or template) go through the guard',
      ],
      ['calls', CallActionSchema, 'A calls action: connect goes through the guard'],
    ] as const) {
      const route: RouteConfig = {
        method: 'post',
        path: `${prefix.path}/{phone_number_id}/${edge}`,
        tags: [tag],
        summary,
        security,
        middleware: [forwardLimit, rawBodyFirst] as never,
        request: {
          params: z.object({ ...prefix.params, phone_number_id: phoneNumberId }),
          body: { content: { 'application/json': { schema } }, required: true },
        },
        responses: {
          200: json(GraphAnswerSchema, "Allowed and forwarded: Meta's answer verbatim"),
          ...graphErrors,
          502: json(GraphErrorSchema, 'The Graph API could not be reached (the attempt does not count)'),
          504: json(GraphErrorSchema, 'The Graph API did not answer in time (the attempt does not count)'),
        },
      };
      app.openapi(createRoute(route), graph as never);
    }
    for (const path of [`${prefix.path}/{node_id}`, `${prefix.path}/{node_id}/{edge}`]) {
      for (const method of ['get', 'post', 'delete'] as const) {
        app.openAPIRegistry.registerPath({
          method,
          path,
          tags: [tag],
          summary:
            'Any other Graph call: forwarded with callpermit’s Meta token, recorded where it means something',
          security,
          request: {
            params: z.object({
              ...prefix.params,
              node_id: phoneNumberId.openapi({
                description: 'A phone number id, WABA id or other Graph node',
              }),
              ...(path.endsWith('{edge}')
                ? { edge: z.string().openapi({ example: 'message_templates' }) }
                : {}),
            }),
          },
          responses: { 200: json(GraphAnswerSchema, "Meta's answer verbatim (any status)"), ...graphErrors },
        });
      }
    }
  }
  app.doc('/openapi.json', {
    openapi: '3.0.3',
    info: {
      title: 'callpermit',
      version: '0.1.0',
      description:
        "WhatsApp call permissions: Meta's signed webhooks, a Graph-compatible permission API and a guard proxy.",
    },
  });
  // Last: every other path is a Graph call (forwarded), or unknown.
  app.all('*', forwardLimit, graph);
  return app;
}

/** Request id (taken from a sane `X-Request-Id` or made), an access log line and the latency histogram. */
function requestContext(parts: Parts): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const id = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    c.set('requestId', id);
    // Set before the answer is made, so every answer the context builds carries it as made: set on a finished
    // answer, Hono rebuilds it as a streamed web Response (a copy of its body), which costs a webhook more CPU
    // than its signature. An answer made elsewhere (a Graph answer forwarded verbatim) gets it afterwards.
    c.header('X-Request-Id', id);
    const started = performance.now();
    await next();
    if (c.res.headers.get('x-request-id') !== id) c.header('X-Request-Id', id);
    const ms = performance.now() - started;
    const route = routePath(c) || 'unmatched';
    const status = c.res.status;
    parts.metrics.requestSeconds.observe({ method: c.req.method, route, status: String(status) }, ms / 1000);
    // Never a token, signature, query or body: the method, the route pattern, the status and the time.
    parts.log.info(
      { req_id: id, method: c.req.method, route, status, ms: Math.round(ms * 10) / 10 },
      'request',
    );
  };
}
