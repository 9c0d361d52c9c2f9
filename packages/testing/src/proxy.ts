// A loopback TCP proxy in front of a test server (PostgreSQL, say), so a test can make it unreachable without
// stopping it (other test files share it): `down()` cuts every connection and refuses new ones, `hang()` keeps
// accepting but never forwards a byte (a server that stopped answering), `up()` forwards again.
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** `target` with the proxy's host and port in place of the server's. */
  readonly url: string;
  down(): Promise<void>;
  hang(): void;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  let mode: 'up' | 'hang' = 'up';
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => {});
      if (mode === 'hang') return;
      const upstream = createConnection({ host: to.hostname, port: Number(to.port) });
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  };
  const cut = async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (server === undefined) return;
    const closing = server;
    server = undefined;
    await new Promise((resolve) => closing.close(resolve));
  };
  await listen();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    down: cut,
    hang: () => {
      mode = 'hang';
      // Connections made before keep their pipes: stop them too, so nothing gets through.
      for (const socket of sockets) socket.unpipe();
    },
    up: async () => {
      // Connections left hanging stay dead, as after a server restart.
      if (mode === 'hang') for (const socket of sockets) socket.destroy();
      mode = 'up';
      if (server === undefined) await listen();
    },
    close: cut,
  };
}
