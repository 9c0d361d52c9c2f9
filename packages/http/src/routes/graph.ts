// The Graph-compatible surface: permission queries answered from callpermit's state, the guard in front of
// permission requests and calls, and every other Graph call forwarded untouched (and recorded where the
// translator understands it). One dispatcher serves every spelling of a Graph path (see graphPath.ts).
import { type GraphAttempt, type GraphRequest, parseInstant, refusalError } from '@callpermit/cloud-api';
import { type Attempt, type Instant, type Pair, userIdProblem } from '@callpermit/core';
import { GRAPH_SOURCE, GUARD_SOURCE, type TranslatedLine } from '@callpermit/service';
import type { Context } from 'hono';
import { ACCESS_TOKEN_PARAM, forbidden, mayActFor } from '../auth.js';
import type { AppEnv, Parts } from '../context.js';
import { errorResponse, GraphCode, invalidParameter, sendGraphError } from '../errors.js';
import { type GraphPath, nodeProblem } from '../graphPath.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../jsonDepth.js';
import { relay, type UpstreamAnswer, type UpstreamCall } from '../upstream.js';

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;
/** Edges named in metrics; others are `other` (a label per edge would be unbounded). */
const KNOWN_EDGES = new Set([
  'messages',
  'calls',
  'call_permissions',
  'message_templates',
  'settings',
  'media',
]);

/** The Graph call in hand: where it goes, its body, and the JSON of it when it is JSON. */
interface GraphCall {
  readonly upstream: UpstreamCall;
  /** As a capture line's `request.path`: version, node, edges and query. */
  readonly request: GraphRequest;
  readonly edge: string;
}

/** Reads a body up to `limit` bytes; undefined when it is larger. */
async function bodyOf(c: Context<AppEnv>, limit: number): Promise<Uint8Array | undefined> {
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > limit) return undefined;
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  return bytes.byteLength > limit ? undefined : bytes;
}

function jsonOf(bytes: Uint8Array | undefined, contentType: string | undefined): unknown {
  if (bytes === undefined || bytes.byteLength === 0 || !JSON_TYPE.test(contentType ?? '')) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** The query string of the request, without `?`, less the parameters callpermit itself reads. */
function queryWithout(c: Context<AppEnv>, drop: readonly string[]): string {
  const params = new URL(c.req.url).searchParams;
  for (const name of drop) params.delete(name);
  return params.toString();
}

/**
 * Every request on a Graph path (authenticated already): checks the node id and the caller's scope, then
 * answers `GET …/call_permissions` from state, `GET /v1/…/call_permissions/requests` from state, decides
 * permission requests and connect calls, and forwards the rest.
 */
export async function graphRequest(c: Context<AppEnv>, parts: Parts, path: GraphPath): Promise<Response> {
  const badNode = nodeProblem(path.node);
  if (badNode !== undefined) return invalidParameter(c, `the node of the path: ${badNode}`);
  if (path.prefix === 'versioned' && path.version === undefined) return invalidParameter(c, 'bad version');
  if (!mayActFor(c, path.node)) return forbidden(c);
  const method = c.req.method.toUpperCase();
  if (method === 'GET' && path.edge === 'call_permissions') return callPermissions(c, parts, path);
  if (
    method === 'GET' &&
    path.prefix === 'callpermit' &&
    path.rest.length === 2 &&
    path.rest[0]?.toLowerCase() === 'call_permissions' &&
    path.rest[1]?.toLowerCase() === 'requests'
  )
    return requestsOf(c, parts, path);

  const contentType = c.req.header('content-type');
  const body = await bodyOf(c, parts.maxForwardBytes);
  if (body === undefined)
    return errorResponse(
      c,
      413,
      GraphCode.invalidParameter,
      `(#100) The body is larger than ${parts.maxForwardBytes} bytes`,
    );
  const guardedEdge = method === 'POST' && (path.edge === 'messages' || path.edge === 'calls');
  if (guardedEdge && body.byteLength > 0 && !JSON_TYPE.test(contentType ?? ''))
    // A permission request sent as a form would reach Meta undecided: callpermit reads JSON only here.
    return errorResponse(
      c,
      400,
      GraphCode.invalidParameter,
      `(#100) callpermit accepts ${path.edge} as JSON only`,
    );
  if (JSON_TYPE.test(contentType ?? '') && nestedDeeperThan(body))
    return invalidParameter(c, `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
  const json = jsonOf(body, contentType);
  // The caller's token never goes upstream, in a header or in the query.
  const query = queryWithout(c, [ACCESS_TOKEN_PARAM]);
  const call = graphCall(method, path, query, contentType, body, json);
  let attempt: GraphAttempt | undefined;
  if (guardedEdge && json !== undefined) {
    const template = (json as { type?: unknown; template?: { name?: unknown } }).template?.name;
    if ((json as { type?: unknown }).type === 'template' && typeof template === 'string')
      await parts.templates.ensure(template);
    attempt = parts.translator.attempt(call.request);
  }
  // A permission request or call whose body cannot be read is refused, never forwarded undecided.
  if (attempt !== undefined && 'unreadable' in attempt)
    return invalidParameter(c, `${attempt.unreadable.path}: ${attempt.unreadable.reason}`);
  return attempt ? guarded(c, parts, call, attempt) : forwarded(c, parts, call);
}

function graphCall(
  method: string,
  path: GraphPath,
  query: string,
  contentType: string | undefined,
  body: Uint8Array | undefined,
  json: unknown,
): GraphCall {
  const edge = path.edge !== undefined && KNOWN_EDGES.has(path.edge) ? path.edge : 'other';
  const versioned = `${path.version === undefined ? '' : `/${path.version}`}${path.path}`;
  return {
    upstream: { method, version: path.version, path: path.path, query, node: path.node, contentType, body },
    request: {
      method,
      path: query === '' ? versioned : `${versioned}?${query}`,
      ...(json === undefined ? {} : { body: json }),
    },
    edge,
  };
}

/** Sends a call upstream, counting it in the metrics. */
async function exchange(c: Context<AppEnv>, parts: Parts, call: GraphCall): Promise<UpstreamAnswer> {
  const started = performance.now();
  const answer = await parts.upstream.send(call.upstream, c.req.raw.headers);
  parts.metrics.upstreamSeconds.observe({ edge: call.edge }, (performance.now() - started) / 1000);
  parts.metrics.upstream.inc({ status: answer.kind === 'answer' ? String(answer.status) : answer.reason });
  if (answer.kind === 'failed')
    parts.log.warn({ req_id: c.get('requestId'), edge: call.edge, reason: answer.reason }, answer.message);
  return answer;
}

/** The Graph error a caller gets when the upstream gave no answer: 504 for a timeout, 502 otherwise. */
function failure(answer: Extract<UpstreamAnswer, { kind: 'failed' }>): { status: number; message: string } {
  return { status: answer.reason === 'timeout' ? 504 : 502, message: `(#2) ${answer.message}` };
}

/**
 * The exchange as a capture line (`{kind:'api_call', at, request, response}`), translated: what the inbox keeps
 * and the log learns, so a replay of the recorded exchange gives the same state. A failed exchange keeps the
 * status the caller got (502/504), which the translator ignores: it does not count.
 */
function exchangeLine(
  c: Context<AppEnv>,
  parts: Parts,
  at: Instant,
  call: GraphCall,
  answer: UpstreamAnswer,
): TranslatedLine {
  let response: { status: number; body?: unknown };
  if (answer.kind === 'answer') {
    const text = new TextDecoder().decode(answer.body);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page, say): kept as text.
    }
    response = text === '' ? { status: answer.status } : { status: answer.status, body };
  } else {
    const { status, message } = failure(answer);
    response = { status, body: { error: { message, code: GraphCode.unavailable } } };
  }
  const entry = { kind: 'api_call', at, request: call.request, response };
  const ref = `${GRAPH_SOURCE}:${c.get('requestId')}`;
  return {
    file: GRAPH_SOURCE,
    lineNo: 0,
    raw: JSON.stringify(entry),
    outcome: parts.translator.apiCall(entry, ref),
  };
}

/** Whether an exchange is worth keeping: it established facts, or was refused as malformed (kept with why). */
function worthRecording(line: TranslatedLine): boolean {
  return line.outcome.kind === 'rejected' || line.outcome.facts.length > 0;
}

function answerOf(c: Context<AppEnv>, answer: UpstreamAnswer, extra?: Headers): Response {
  if (answer.kind === 'answer') return relay(answer, extra);
  const { status, message } = failure(answer);
  return errorResponse(c, status, GraphCode.unavailable, message);
}

/**
 * A permission request or connect call: decided under the pair's lock; refused → Meta's error, nothing sent;
 * allowed → forwarded, and the exchange (request and Meta's answer) recorded before the lock is released.
 */
async function guarded(
  c: Context<AppEnv>,
  parts: Parts,
  call: GraphCall,
  attempt: Attempt,
): Promise<Response> {
  const result = await parts.engine.attempt(
    attempt,
    parts.now(),
    async (at) => {
      const answer = await exchange(c, parts, call);
      const line = exchangeLine(c, parts, at, call, answer);
      return { value: { answer, line }, facts: line.outcome.kind === 'facts' ? line.outcome.facts : [] };
    },
    // The exchange goes to the inbox with its facts, in one transaction, before the pair is released.
    { record: async (performed) => parts.recorder.record(performed.value.line) },
  );
  if (!result.ok) {
    parts.metrics.decisions.inc({ result: 'refused', code: String(result.refusal.code) });
    parts.log.info(
      { req_id: c.get('requestId'), attempt: attempt.type, code: result.refusal.code },
      'refused without contacting Meta',
    );
    const refused = refusalError(result.refusal, c.get('requestId') ?? '');
    // Kept as the exchange the caller had with callpermit: what the timeline and an audit show as a refusal.
    const entry = {
      kind: 'api_call',
      at: result.at,
      request: call.request,
      response: { status: refused.status, body: refused.body },
    };
    await parts.recorder.record({
      file: GUARD_SOURCE,
      lineNo: 0,
      raw: JSON.stringify(entry),
      outcome: parts.translator.apiCall(entry, `${GUARD_SOURCE}:${c.get('requestId')}`),
    });
    return sendGraphError(c, refused);
  }
  parts.metrics.decisions.inc({ result: 'allowed', code: '' });
  return answerOf(c, result.value.answer);
}

/** Any other Graph call: forwarded untouched; recorded when the translator learns something from it. */
async function forwarded(c: Context<AppEnv>, parts: Parts, call: GraphCall): Promise<Response> {
  const at = parts.now();
  const answer = await exchange(c, parts, call);
  if (answer.kind === 'answer') {
    const line = exchangeLine(c, parts, at, call, answer);
    if (worthRecording(line)) await parts.recorder.record(line);
  }
  return answerOf(c, answer);
}

/** The pair a query names: `user_wa_id` (digits) or `recipient` (a BSUID), or a 400. */
export function queriedPair(c: Context<AppEnv>, business: string): Pair | Response {
  const phone = c.req.query('user_wa_id');
  const recipient = c.req.query('recipient');
  if (phone !== undefined) {
    const problem = /^\d+$/.test(phone) ? userIdProblem(phone) : 'a wa_id is digits only';
    if (problem !== undefined) return invalidParameter(c, `Param user_wa_id: ${problem}`);
    return { business, user: phone };
  }
  if (recipient !== undefined) {
    const problem = userIdProblem(recipient);
    if (problem !== undefined) return invalidParameter(c, `Param recipient: ${problem}`);
    return { business, user: recipient };
  }
  return invalidParameter(c, 'The parameter user_wa_id (or recipient) is required');
}

/** `at`: ISO-8601 or Unix seconds, default now. */
function queriedInstant(c: Context<AppEnv>, parts: Parts): Instant | Response {
  const text = c.req.query('at');
  if (text === undefined) return parts.now();
  try {
    return parseInstant(/^\d+$/.test(text) ? Number(text) : text);
  } catch (error) {
    return invalidParameter(c, `Param at: ${(error as Error).message}`);
  }
}

/**
 * `GET …/{phone_number_id}/call_permissions?user_wa_id=…[&at=…]`: Meta's body from callpermit's state. With
 * `verify=meta`, Meta is asked instead: its answer is returned verbatim, recorded as an observation, and any
 * field where it differed from callpermit's state is named in `X-Callpermit-Discrepancies` and counted.
 */
async function callPermissions(c: Context<AppEnv>, parts: Parts, path: GraphPath): Promise<Response> {
  const pair = queriedPair(c, path.node);
  if (pair instanceof Response) return pair;
  const verify = c.req.query('verify');
  if (verify !== undefined && verify !== 'meta') return invalidParameter(c, 'Param verify must be meta');
  if (verify === undefined) {
    const at = queriedInstant(c, parts);
    if (at instanceof Response) return at;
    return c.json(await parts.engine.callPermissions(pair, at));
  }
  if (c.req.query('at') !== undefined) return invalidParameter(c, 'Param at cannot be used with verify=meta');
  const at = parts.now();
  const call = graphCall(
    'GET',
    path,
    queryWithout(c, ['verify', 'at', ACCESS_TOKEN_PARAM]),
    undefined,
    undefined,
    undefined,
  );
  const answer = await exchange(c, parts, call);
  if (answer.kind === 'failed') return answerOf(c, answer);
  const line = exchangeLine(c, parts, at, call, answer);
  await parts.recorder.record(line);
  const headers = new Headers();
  if (line.outcome.kind === 'facts' && line.outcome.facts.length > 0) {
    const state = await parts.engine.state(pair, at);
    // Meta's answer against callpermit's view: not the request lifecycle's own (`origin`).
    const found = state.discrepancies.filter((d) => d.at === at && d.origin === undefined);
    for (const d of found) parts.metrics.discrepancies.inc({ field: d.field });
    headers.set(
      'X-Callpermit-Discrepancies',
      found.length === 0
        ? 'none'
        : found.map((d) => `${d.field}: callpermit ${d.ours}, Meta ${d.meta}`).join('; '),
    );
  }
  return answerOf(c, answer, headers);
}

/** `GET /v1/{phone_number_id}/call_permissions/requests?user_wa_id=…[&at=…]`: the requests with their lifecycles. */
async function requestsOf(c: Context<AppEnv>, parts: Parts, path: GraphPath): Promise<Response> {
  const pair = queriedPair(c, path.node);
  if (pair instanceof Response) return pair;
  const at = queriedInstant(c, parts);
  if (at instanceof Response) return at;
  return c.json({ data: await parts.engine.requests(pair, at) });
}
