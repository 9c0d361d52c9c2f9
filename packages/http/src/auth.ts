// Callers authenticate with a bearer token from CALLPERMIT_API_TOKENS, compared in constant time; a token limited
// to some business numbers gets 403 on any other, with nothing revealed about that number.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiToken } from './config.js';
import type { AppEnv } from './context.js';
import { errorResponse, GraphCode } from './errors.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The configured token matching `given`, comparing digests of equal length in constant time against every
 * token (no early exit), so timing says nothing about which token or how much of it matched.
 */
export function findToken(tokens: readonly ApiToken[], given: string): ApiToken | undefined {
  return tokenFinder(tokens)(given);
}

/** `findToken` over `tokens`, with their digests made once rather than on every request. */
function tokenFinder(tokens: readonly ApiToken[]): (given: string) => ApiToken | undefined {
  const digests = tokens.map((token) => ({ token, digest: digest(token.token) }));
  return (given) => {
    const mine = digest(given);
    let found: ApiToken | undefined;
    for (const known of digests) if (timingSafeEqual(known.digest, mine)) found = known.token;
    return found;
  };
}

/**
 * The query parameter that may carry the token instead of the header, as the Graph API allows: what a browser
 * needs to open the timeline page from a link. It is never forwarded upstream and never logged (the access log
 * has no query strings), but a URL may end up in a browser's history: prefer the header.
 */
export const ACCESS_TOKEN_PARAM = 'access_token';

/**
 * Requires a bearer token on every request it guards (401, Graph-style, otherwise): in the Authorization header,
 * or as `access_token` in the query. With no tokens configured (`--insecure-dev` only) every request passes,
 * unscoped.
 */
export function requireToken(tokens: readonly ApiToken[]): MiddlewareHandler<AppEnv> {
  const find = tokenFinder(tokens);
  return async (c, next) => {
    if (tokens.length === 0) {
      c.set('caller', undefined);
      return next();
    }
    const header = c.req.header('authorization');
    const match = header === undefined ? null : BEARER.exec(header);
    const given = match ? match[1] : header === undefined ? c.req.query(ACCESS_TOKEN_PARAM) : undefined;
    const token = given === undefined ? undefined : find(given);
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer realm="callpermit"');
      return errorResponse(
        c,
        401,
        GraphCode.invalidToken,
        given !== undefined
          ? 'Invalid OAuth access token.'
          : 'An access token is required to request this resource.',
      );
    }
    c.set('caller', token);
    return next();
  };
}

/** Whether the caller may act for `business` (a phone number id or WABA id). */
export function mayActFor(c: Context<AppEnv>, business: string): boolean {
  const scope = c.get('caller')?.businesses;
  return scope === undefined || scope.has(business);
}

/** Whether the caller's token is unlimited (routes that touch many businesses at once need one). */
export function unlimited(c: Context<AppEnv>): boolean {
  return c.get('caller')?.businesses === undefined;
}

/** 403: the same answer whatever the business, so a limited token learns nothing about others. */
export function forbidden(c: Context<AppEnv>): Response {
  return errorResponse(
    c,
    403,
    GraphCode.permission,
    '(#10) This access token may not act for this business.',
  );
}
