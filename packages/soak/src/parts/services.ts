// `callpermit serve` as the soak runs it: a real process of the built CLI on loopback, with the soak's secret and
// tokens, over a PGlite directory or a PostgreSQL database; and the client side: signed deliveries and
// authenticated queries that never throw (a refused or cut connection is an answer like any other).
import { type ServeProcess, startServe } from '@callpermit/testing/serve';
import type { Delivery } from './corpus.js';
import { SOAK_META_TOKEN, SOAK_SECRET, SOAK_TOKEN, SOAK_VERIFY_TOKEN } from './corpus.js';

/** Where a service keeps its store. */
export type StoreTarget = { readonly dataDir: string } | { readonly databaseUrl: string };

export function storeArgs(target: StoreTarget): string[] {
  return 'dataDir' in target ? ['--db', target.dataDir] : ['--database-url', target.databaseUrl];
}

/** The environment of a soak `serve`: the soak's secrets, the upstream, quiet logs unless asked. */
export function serveEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    CALLPERMIT_APP_SECRET: SOAK_SECRET,
    CALLPERMIT_VERIFY_TOKEN: SOAK_VERIFY_TOKEN,
    CALLPERMIT_API_TOKENS: SOAK_TOKEN,
    CALLPERMIT_GRAPH_TOKEN: SOAK_META_TOKEN,
    CALLPERMIT_GRAPH_URL: 'http://127.0.0.1:9',
    CALLPERMIT_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Every service started since the last `takeOutputs`: their logs are searched for secrets after each scenario. */
const started: ServeProcess[] = [];

/** Starts `callpermit serve` over `target` (extra flags after the store's). */
export async function startService(
  target: StoreTarget,
  env: NodeJS.ProcessEnv = {},
  flags: readonly string[] = [],
): Promise<ServeProcess> {
  const service = await startServe([...storeArgs(target), ...flags], serveEnv(env));
  started.push(service);
  return service;
}

/** The output of every service started since the last call (each one's whole output, so far). */
export function takeOutputs(): string[] {
  return started.splice(0).map((service) => service.output());
}

/** SIGKILL, and the exit: what a crash (OOM killer, power loss of the process) does. */
export async function kill(service: ServeProcess): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** An HTTP answer, or why there was none (a refused or cut connection, a timeout). */
export type Answer =
  | {
      readonly status: number;
      readonly text: string;
      readonly retryAfter: string | null;
      readonly ms: number;
    }
  | { readonly status: 0; readonly failure: string; readonly ms: number };

/** A request that never throws: `status: 0` with the reason when no answer came within `timeoutMs`. */
export async function request(url: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return {
      status: response.status,
      text,
      retryAfter: response.headers.get('retry-after'),
      ms: performance.now() - started,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { status: 0, failure: cause?.code ?? (error as Error).name, ms: performance.now() - started };
  }
}

/** POST /webhook with the body and its signature. */
export function deliver(baseUrl: string, delivery: Delivery, timeoutMs?: number): Promise<Answer> {
  return request(
    `${baseUrl}/webhook`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': delivery.signature },
      body: delivery.body,
    },
    timeoutMs,
  );
}

/** A request with the soak's API token. */
export function call(
  baseUrl: string,
  path: string,
  init: RequestInit = {},
  timeoutMs?: number,
): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${SOAK_TOKEN}`);
  return request(`${baseUrl}${path}`, { ...init, headers }, timeoutMs);
}

/** Runs `fn` over `items` with at most `concurrency` at a time; resolves when all are done. */
export async function concurrently<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
