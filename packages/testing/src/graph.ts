// A fake Graph API on loopback: a real HTTP server that records every request reaching it and answers like
// Meta (ids for sends and connects, `success` otherwise), or as a test tells it to.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface FakeAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Sent as JSON unless it is a string. */
  readonly body?: unknown;
}

export class FakeGraph {
  readonly received: Received[] = [];
  /** Answers a request; by default like Meta (see `metaLike`). */
  respond: (request: Received) => FakeAnswer | Promise<FakeAnswer> = metaLike;
  /** Holds every answer this long (a slow upstream). */
  delayMs = 0;
  /** Closes every connection without an answer (an upstream that is down). */
  down = false;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeGraph> {
    let fake: FakeGraph | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const received: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        const self = fake as FakeGraph;
        self.received.push(received);
        if (self.down) {
          req.socket.destroy();
          return;
        }
        if (self.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, self.delayMs));
        const answer = await self.respond(received);
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(text);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    fake = new FakeGraph(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** The requests that reached it on an edge (`messages`, `calls`, …). */
  on(edge: string): Received[] {
    return this.received.filter((r) => r.url.split('?')[0]?.endsWith(`/${edge}`));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let serial = 0;

/** Meta's success answers: a message id for a send, a call id for a connect, `success` for the rest. */
export function metaLike(request: Received): FakeAnswer {
  const path = request.url.split('?')[0] ?? '';
  let body: Record<string, unknown>;
  try {
    body = request.body === '' ? {} : (JSON.parse(request.body) as Record<string, unknown>);
  } catch {
    // What Meta answers a body it cannot parse (callpermit forwards what is no attempt untouched).
    return {
      status: 400,
      body: { error: { message: '(#100) Invalid JSON', type: 'OAuthException', code: 100 } },
    };
  }
  if (body === null || typeof body !== 'object') body = {};
  serial++;
  if (request.method === 'POST' && path.endsWith('/messages')) {
    const to = String(body.to ?? body.recipient ?? '');
    return {
      status: 200,
      headers: { 'x-fb-trace-id': `trace${serial}` },
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: to, wa_id: to }],
        messages: [{ id: `wamid.FAKE${serial}` }],
      },
    };
  }
  if (request.method === 'POST' && path.endsWith('/calls') && body.action === 'connect')
    return { status: 200, body: { messaging_product: 'whatsapp', calls: [{ id: `wacid.FAKE${serial}` }] } };
  if (request.method === 'POST' && path.endsWith('/message_templates'))
    return { status: 200, body: { id: `54615168102${serial}`, status: 'PENDING', category: 'UTILITY' } };
  return { status: 200, body: { success: true } };
}
