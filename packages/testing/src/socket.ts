// Requests as written, over loopback. A raw TCP connection for slow clients (slowloris, a body trickled in):
// everything it received, and when the server closed it. And `rawRequest`: node's http client puts the path on the
// wire untouched (`..`, `%2e%2e`, `%2F` stay as given, where fetch would normalise them first), and the answer is
// read whatever it is; a streaming answer (server-sent events) is read up to its head and then cut.
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface RawClient {
  readonly socket: Socket;
  /** What the server sent so far. */
  received(): string;
  /** Milliseconds from the connection to its close. */
  readonly closed: Promise<number>;
}

/** Opens a connection to the host and port of `url`. */
export async function rawClient(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await once(socket, 'connect');
  const started = performance.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => resolve(performance.now() - started)),
  );
  return { socket, received: () => received, closed };
}

/** Writes `text` a character every `ms` until the socket closes or the text ends. */
export async function trickle(socket: Socket, text: string, ms: number): Promise<void> {
  for (const char of text) {
    if (socket.destroyed) return;
    socket.write(char);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

export interface RawAnswer {
  /** 0 when no answer came (the connection refused, cut or timed out): `failure` says which. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly failure?: string;
}

export interface RawInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  readonly timeoutMs?: number;
}

/** `init.method` (GET) of `path` at `baseUrl`, never throwing. */
export function rawRequest(baseUrl: string, path: string, init: RawInit = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: RawAnswer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const req = httpRequest(
      {
        host: hostname,
        port: Number(port),
        method: init.method ?? 'GET',
        path,
        headers: {
          ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }),
          ...init.headers,
        },
        timeout: init.timeoutMs ?? 30_000,
        agent: false,
      },
      (res) => {
        const type = String(res.headers['content-type'] ?? '');
        if (type.startsWith('text/event-stream')) {
          res.destroy();
          done({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
        );
        res.on('error', (error) => done({ status: 0, headers: {}, text: '', failure: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({ status: 0, headers: {}, text: '', failure: error.code ?? error.message }),
    );
    req.end(init.body);
  });
}
