// Load on loopback with autocannon, bounded in time, against a server in a child process of its own.
import { fork } from 'node:child_process';
import autocannon from 'autocannon';

export interface Served {
  readonly url: string;
  readonly info: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Starts a server of servers.ts in a child process; resolves with its URL once it listens. */
export function startInChild(kind: string, args: object = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./serverChild.js', import.meta.url), [kind, JSON.stringify(args)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server ${kind} exited (code ${code}) before listening`)));
    child.once('message', (message) => {
      const { url, info } = message as { url: string; info: Record<string, unknown> };
      resolve({
        url,
        info,
        stop: async () => {
          child.disconnect();
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

export interface LoadResult {
  /** Mean requests per second over the run. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  readonly method?: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Each request's body and extra headers, in turn (a round robin over prepared requests). */
  readonly next?: () => { body?: string; headers?: Record<string, string>; path?: string };
}

/** Runs autocannon for `seconds` and reads its figures: latencies in milliseconds. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const next = options.next;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: options.method ?? 'GET',
        path: options.path,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(next === undefined
          ? {}
          : {
              setupRequest: (request) => {
                const { body, headers, path } = next();
                return {
                  ...request,
                  ...(body === undefined ? {} : { body }),
                  ...(path === undefined ? {} : { path }),
                  headers: { ...request.headers, ...headers },
                };
              },
            }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
