// The upstream Graph API: callpermit forwards a caller's Graph call with its own Meta token (never the caller's),
// never follows a redirect, and gives up after a timeout. What came back is handed over verbatim.
import type { GraphUpstream } from './config.js';

/** Meta's answer (any status), or why there was none. */
export type UpstreamAnswer =
  | { readonly kind: 'answer'; readonly status: number; readonly headers: Headers; readonly body: Uint8Array }
  | {
      readonly kind: 'failed';
      readonly reason: 'timeout' | 'unreachable' | 'no_token';
      readonly message: string;
    };

/** A Graph call to forward: the path after the base (`/{node}/…`), the caller's version segment if any. */
export interface UpstreamCall {
  readonly method: string;
  /** `v23.0`, or undefined when the caller gave none (`/v1/…` and bare paths). */
  readonly version: string | undefined;
  /** `/{node}[/{edge}…]`, already normalised. */
  readonly path: string;
  /** The query string without `?`, possibly empty. */
  readonly query: string;
  /** Whose Meta token to use: the node (a phone number id or WABA id). */
  readonly node: string;
  readonly contentType: string | undefined;
  readonly body: Uint8Array | undefined;
}

/** Request headers taken from the caller; everything else (its Authorization above all) stays behind. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'accept-language'];

/** Response headers handed back: what a Graph client reads (content, rate-limit usage, tracing, redirects). */
export const RELAYED_RESPONSE_HEADERS = [
  'content-type',
  'content-disposition',
  'cache-control',
  'etag',
  'last-modified',
  'location',
  'retry-after',
  'www-authenticate',
  'facebook-api-version',
  'x-fb-trace-id',
  'x-fb-request-id',
  'x-fb-rev',
  'x-fb-debug',
  'x-app-usage',
  'x-business-use-case-usage',
  'x-ad-account-usage',
];

const VERSION_AT_END = /\/v\d+(?:\.\d+)?$/;

export class Upstream {
  private readonly basePath: string;
  private readonly baseVersion: boolean;
  private readonly origin: string;

  constructor(private readonly config: GraphUpstream) {
    const url = new URL(config.url);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.baseVersion = VERSION_AT_END.test(this.basePath);
  }

  /**
   * Where a call goes: the base URL, then the caller's version when it gave one (replacing a version the base
   * ends in), else the base as it is; then the path and query.
   */
  urlOf(call: Pick<UpstreamCall, 'version' | 'path' | 'query'>): string {
    let base = this.basePath;
    if (call.version !== undefined)
      base = `${this.baseVersion ? base.replace(VERSION_AT_END, '') : base}/${call.version}`;
    return `${this.origin}${base}${call.path}${call.query === '' ? '' : `?${call.query}`}`;
  }

  /** The Meta token for a node: its own from the tokens file, else the general one. */
  tokenFor(node: string): string | undefined {
    return this.config.tokens?.get(node) ?? this.config.token;
  }

  async send(call: UpstreamCall, callerHeaders: Headers): Promise<UpstreamAnswer> {
    const token = this.tokenFor(call.node);
    if (token === undefined)
      return {
        kind: 'failed',
        reason: 'no_token',
        message: `callpermit has no Meta access token for ${call.node}`,
      };
    const headers = new Headers();
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = callerHeaders.get(name);
      if (value !== null) headers.set(name, value);
    }
    headers.set('authorization', `Bearer ${token}`);
    try {
      const response = await fetch(this.urlOf(call), {
        method: call.method,
        headers,
        ...(call.body === undefined || call.body.byteLength === 0 ? {} : { body: call.body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      return { kind: 'answer', status: response.status, headers: response.headers, body };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        return {
          kind: 'failed',
          reason: 'timeout',
          message: `the Graph API did not answer within ${this.config.timeoutMs} ms`,
        };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return {
        kind: 'failed',
        reason: 'unreachable',
        message: `the Graph API could not be reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      };
    }
  }
}

/** The response a caller gets for Meta's answer: status, the headers that matter, the body as Meta sent it. */
export function relay(
  answer: Extract<UpstreamAnswer, { kind: 'answer' }>,
  extra: Headers = new Headers(),
): Response {
  const headers = new Headers(extra);
  for (const name of RELAYED_RESPONSE_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const bodyless = answer.status === 204 || answer.status === 304 || answer.body.byteLength === 0;
  return new Response(bodyless ? null : answer.body, { status: answer.status, headers });
}
