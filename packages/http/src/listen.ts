// Serving an app on a port, and stopping it gracefully: new connections are refused, requests in flight finish,
// idle keep-alive connections are closed, and only after a grace period is anything cut.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { markDraining } from './app.js';
import { DEFAULT_SERVER_TIMEOUTS, type ServerTimeouts } from './config.js';

export interface ListenOptions {
  /** Default 127.0.0.1 (loopback): another address exposes the service. */
  readonly host?: string;
  /** Default 8080; 0 takes a free port. */
  readonly port?: number;
  readonly timeouts?: ServerTimeouts;
}

export interface Listening {
  /** `http://HOST:PORT`, with the port actually taken. */
  readonly url: string;
  readonly server: Server;
  /**
   * Stops accepting connections, lets requests in flight finish (closing keep-alive connections as they go
   * idle), and resolves when every connection has ended; after `graceMs` (default 10 s) the rest are cut.
   * /readyz answers 503 meanwhile.
   */
  close(graceMs?: number): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment and routes.
export async function listen(app: Hono<any, any, any>, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  const timeouts = { ...DEFAULT_SERVER_TIMEOUTS, ...options.timeouts };
  const server = createAdaptorServer({
    fetch: app.fetch,
    serverOptions: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // Node looks for connections past those timeouts every 30 s by default: a slow client would get that
      // much more. A quarter of the shorter timeout, at most a second.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4)),
      ),
    },
  }) as Server;
  // Meta's webhooks and SDK clients keep connections alive: closed when idle for keepAliveMs.
  server.keepAliveTimeout = timeouts.keepAliveMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        markDraining(app);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
        // Connections still busy when close() was called go idle as their requests finish.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      });
      return closing;
    },
  };
}
