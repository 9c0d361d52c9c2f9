// A webhook subscriber on loopback for the change feed's tests: it records every delivery (raw body and
// signature header), answers 500 to the first `failFirst` ones, and says when it holds a given sequence number;
// and the feed as `GET /v1/changes` lists it, to compare with what the subscriber received.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  readonly body: string;
  readonly signature: string | undefined;
  readonly subscription: string | undefined;
  /** What the subscriber answered. */
  readonly status: number;
  /** When it arrived (Date.now()). */
  readonly receivedAt: number;
}

// biome-ignore lint/suspicious/noExplicitAny: a change as the wire carries it, read field by field.
export type WireChange = Record<string, any> & { seq: number; id: string };

/** The whole feed as `GET /v1/changes` lists it to `token`, paging on `next`: what subscribers are held to. */
export async function listedFeed(baseUrl: string, token: string): Promise<WireChange[]> {
  const all: WireChange[] = [];
  for (let after = 0; ; ) {
    const response = await fetch(`${baseUrl}/v1/changes?after=${after}&limit=1000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const page = (await response.json()) as { data: WireChange[]; next: number };
    if (page.data.length === 0) return all;
    all.push(...page.data);
    after = page.next;
  }
}

export class Subscriber {
  readonly deliveries: Delivery[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** How many more deliveries to refuse (500). */
    public failFirst: number,
  ) {}

  /** How long it takes to answer (milliseconds): a slow subscriber. */
  delayMs = 0;
  /** Deliveries answered so far (a slow subscriber has some received and not yet answered). */
  answered = 0;

  static async start(failFirst = 0): Promise<Subscriber> {
    let self: Subscriber | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const sub = self as Subscriber;
        const status = sub.failFirst > 0 ? 500 : 200;
        if (sub.failFirst > 0) sub.failFirst--;
        sub.deliveries.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: req.headers['x-callpermit-signature'] as string | undefined,
          subscription: req.headers['x-callpermit-subscription'] as string | undefined,
          status,
          receivedAt: Date.now(),
        });
        setTimeout(() => {
          res.writeHead(status).end();
          sub.answered++;
        }, sub.delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new Subscriber(server, `http://127.0.0.1:${port}/hook`, failFirst);
    return self;
  }

  /** The changes of the deliveries it accepted, in the order they came (a redelivery appears twice). */
  accepted(): WireChange[] {
    return this.deliveries
      .filter((d) => d.status === 200)
      .flatMap((d) => (JSON.parse(d.body) as { changes: WireChange[] }).changes);
  }

  /** Resolves once an accepted delivery holds `seq` (polling; bounded by `timeoutMs`). */
  async waitFor(seq: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.accepted().some((c) => c.seq >= seq)) {
      if (Date.now() > deadline)
        throw new Error(
          `no delivery reached seq ${seq} in ${timeoutMs} ms (${this.deliveries.length} deliveries)`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
