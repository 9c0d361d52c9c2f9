// The 413 for a body over a route's limit, decided from `Content-Length` when the request declares one.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './context.js';
import { errorResponse, GraphCode } from './errors.js';

/**
 * Answers 413 (Graph-style) for a body larger than `limit` bytes. A request with a `Content-Length` (and no
 * `Transfer-Encoding`) is decided from the header alone: Hono's `bodyLimit` first asks for the request's body
 * stream, which makes Node's adapter build a whole web `Request` and stream the body through it, where the
 * route would otherwise read the bytes straight from the socket (a large share of a webhook's CPU). A body of
 * no declared length (chunked) is counted as it streams, by Hono's `bodyLimit`, as before.
 */
export function limitBody(limit: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (c: Context<AppEnv>) => {
    // The rest of the body is not read: the connection cannot carry another request.
    c.header('Connection', 'close');
    return errorResponse(c, 413, GraphCode.invalidParameter, `(#100) The body is larger than ${limit} bytes`);
  };
  const streamed = bodyLimit({ maxSize: limit, onError: (c) => tooLarge(c as Context<AppEnv>) });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    if (Number.parseInt(declared, 10) > limit) return tooLarge(c);
    await next();
  };
}
