// The change feed over HTTP: `GET /v1/changes` (a page after a cursor, waiting up to `wait` seconds for one:
// a long poll) and `GET /v1/changes/stream` (Server-Sent Events, `id:` the sequence number, resumed from
// `Last-Event-ID`). A token limited to some businesses sees only theirs. Both read the store's outbox, so any
// instance serves any subscriber; between reads they sleep `pollMs`.
import type { StoredChange } from '@callpermit/core';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { forbidden } from '../auth.js';
import type { AppEnv, Parts } from '../context.js';
import { invalidParameter } from '../errors.js';
import { changeOnWire } from '../feed/wire.js';

/** The longest a long poll may wait (seconds), and the most changes a page holds. */
export const MAX_WAIT_SECONDS = 60;
export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;
/** How often an idle event stream says it is alive (a comment line), so proxies keep it open: the default. */
export const HEARTBEAT_MS = 15_000;

/**
 * The businesses a reader may see: those asked for (`business=a,b`), which a limited token must hold;
 * otherwise all of the token's (undefined: every business). A Response when the ask is refused.
 */
export function readableBusinesses(
  c: Context<AppEnv>,
  asked: string | undefined,
): readonly string[] | undefined | Response {
  const scope = c.get('caller')?.businesses;
  const wanted =
    asked === undefined
      ? undefined
      : asked
          .split(',')
          .map((b) => b.trim())
          .filter((b) => b !== '');
  if (wanted !== undefined) {
    const bad = wanted.find((b) => !/^\d{1,32}$/.test(b));
    if (bad !== undefined)
      return invalidParameter(c, `Param business ${JSON.stringify(bad)} is not a business id`);
    if (scope !== undefined && wanted.some((b) => !scope.has(b))) return forbidden(c);
    return wanted;
  }
  return scope === undefined ? undefined : [...scope];
}

/** Waits `ms`, or less when `signal` aborts (the client went away, the stream closed). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface ChangesQuery {
  readonly after?: number | undefined;
  readonly business?: string | undefined;
  readonly wait?: number | undefined;
  readonly limit?: number | undefined;
}

/** `GET /v1/changes`: `{data: [changes…], next}`, where `next` is the cursor to ask `after` next time. */
export async function changesPage(
  c: Context<AppEnv>,
  parts: Parts,
  query: ChangesQuery,
  draining: () => boolean,
): Promise<Response> {
  const businesses = readableBusinesses(c, query.business);
  if (businesses instanceof Response) return businesses;
  const after = query.after ?? 0;
  const limit = query.limit ?? DEFAULT_PAGE;
  const deadline = Date.now() + (query.wait ?? 0) * 1000;
  const signal = c.req.raw.signal;
  for (;;) {
    const page = await parts.engine.store.readChanges(after, limit, businesses);
    const remaining = deadline - Date.now();
    if (page.length > 0 || remaining <= 0 || draining() || signal.aborted)
      return c.json({ data: page.map(changeOnWire), next: page.at(-1)?.seq ?? after }, 200);
    await sleep(Math.min(parts.feedPollMs, remaining), signal);
  }
}

/** Where an event stream starts: `Last-Event-ID` (a reconnecting client), else `after`, else the beginning. */
function streamStart(c: Context<AppEnv>, after: number | undefined): number | Response {
  const last = c.req.header('last-event-id');
  if (last === undefined || last === '') return after ?? 0;
  if (!/^\d{1,15}$/.test(last)) return invalidParameter(c, 'Last-Event-ID is not a sequence number');
  return Number(last);
}

/** `GET /v1/changes/stream`: every change after the start, then each new one as it is stored. */
export function changeStream(
  c: Context<AppEnv>,
  parts: Parts,
  query: Pick<ChangesQuery, 'after' | 'business'>,
  draining: () => boolean,
): Response {
  const businesses = readableBusinesses(c, query.business);
  if (businesses instanceof Response) return businesses;
  const start = streamStart(c, query.after);
  if (start instanceof Response) return start;
  return streamSSE(c, async (stream) => {
    let cursor = start;
    let quietSince = Date.now();
    const closed = new AbortController();
    stream.onAbort(() => closed.abort());
    while (!closed.signal.aborted && !draining()) {
      const page: StoredChange[] = await parts.engine.store.readChanges(cursor, DEFAULT_PAGE, businesses);
      for (const change of page) {
        await stream.writeSSE({
          id: String(change.seq),
          event: 'change',
          data: JSON.stringify(changeOnWire(change)),
        });
        cursor = change.seq;
        quietSince = Date.now();
      }
      if (page.length === DEFAULT_PAGE) continue;
      if (Date.now() - quietSince >= parts.feedHeartbeatMs) {
        await stream.write(': heartbeat\n\n');
        quietSince = Date.now();
      }
      await sleep(parts.feedPollMs, closed.signal);
    }
  });
}
