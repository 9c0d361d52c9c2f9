// Graph-style errors for everything callpermit answers in Meta's place, so a client written for Meta reads them
// the same way. The `fbtrace_id` is the request id, which the logs carry too.
import { type GraphErrorResponse, graphError } from '@callpermit/cloud-api';
import type { StoreUnavailable } from '@callpermit/service';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './context.js';

/** Meta's codes for the gateway's own errors. */
export const GraphCode = {
  /** Unknown error. */
  unknown: 1,
  /** Service temporarily unavailable: the upstream or the store could not be reached or took too long. */
  unavailable: 2,
  /** A permission error: the token may not act for this business. */
  permission: 10,
  /** Invalid parameter. */
  invalidParameter: 100,
  /** Invalid OAuth access token. */
  invalidToken: 190,
} as const;

export function sendGraphError(c: Context<AppEnv>, answer: GraphErrorResponse): Response {
  return c.json(answer.body, answer.status as ContentfulStatusCode);
}

/** A Graph-style error answer. */
export function errorResponse(
  c: Context<AppEnv>,
  status: number,
  code: number,
  message: string,
  details?: string,
): Response {
  return sendGraphError(
    c,
    graphError(status, code, message, c.get('requestId') ?? '', details === undefined ? {} : { details }),
  );
}

export function invalidParameter(c: Context<AppEnv>, message: string): Response {
  return errorResponse(c, 400, GraphCode.invalidParameter, `(#100) ${message}`);
}

/** What a 503 asks the caller to wait before trying again (seconds): /readyz and an unavailable store. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * 503 with `Retry-After` for a store that cannot serve (unreachable, read-only, disk full): the reason in a few
 * words, never the driver's message (it may name hosts and files; the log has it).
 */
export function storeUnavailable(c: Context<AppEnv>, error: StoreUnavailable): Response {
  c.header('Retry-After', String(RETRY_AFTER_SECONDS));
  return errorResponse(
    c,
    503,
    GraphCode.unavailable,
    `(#2) Service temporarily unavailable: ${error.description}; nothing was stored, try again`,
  );
}
