// The servers the HTTP benchmarks load, each with its floor: ours (callpermit's app over a store) and a bare
// `node:http` server doing the least the same job needs. They run in a child process (serverChild.ts), so the
// load generator does not share their event loop.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Engine, type Fact, policyBook } from '@callpermit/core';
import { createApp, createLogger, type Listening, listen } from '@callpermit/http';
import { openSqlClient, openStore, type SqlClient, type StoreOptions } from '@callpermit/store';
import { pairHistory } from '../durable/pairHistory.js';

/** A running server: its URL, what the bench needs to aim at it, and how to stop it. */
export interface Running {
  readonly url: string;
  readonly info?: Record<string, unknown>;
  close(): Promise<void>;
}

export const BENCH_SECRET = 'bench-app-secret';
export const BENCH_TOKEN = 'bench-caller-token-0123456789';
export const BENCH_META_TOKEN = 'bench-meta-token';
const silent = createLogger('silent');

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function serveNode(
  handler: (req: IncomingMessage) => Promise<{ status: number; body: string }>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handler(req).then(
      ({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      },
      (error: Error) => {
        res.writeHead(500);
        res.end(error.message);
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function stopNode(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function ours(
  engine: Engine,
  options: Parameters<typeof createApp>[1],
  onClose: () => Promise<void>,
): Promise<Running> {
  const app = createApp(engine, {
    appSecrets: [BENCH_SECRET],
    apiTokens: [{ token: BENCH_TOKEN }],
    logger: silent,
    ...options,
  });
  const server: Listening = await listen(app, { port: 0 });
  return {
    url: server.url,
    close: async () => {
      await server.close(1000);
      await onClose();
    },
  };
}

/** callpermit's webhook route over a store: signature, inbox + facts in one transaction, then 200. */
export async function webhookOurs(options: StoreOptions): Promise<Running> {
  const store = await openStore(options);
  return ours(new Engine(store), {}, () => store.close());
}

/**
 * The webhook floor: `node:http` that checks the HMAC of the raw bytes (constant time) and inserts the raw body
 * into a table of the same database, committed before the 200: the same durability, none of the work.
 */
export async function webhookFloor(options: StoreOptions): Promise<Running> {
  const client: SqlClient = await openSqlClient(options);
  await client.query(
    'create table if not exists floor_inbox (hash text primary key, body bytea not null, received_at timestamptz not null default now())',
  );
  const { server, url } = await serveNode(async (req) => {
    const body = await readBody(req);
    const given = /^sha256=([0-9a-f]{64})$/.exec(String(req.headers['x-hub-signature-256'] ?? ''));
    const expected = createHmac('sha256', BENCH_SECRET).update(body).digest();
    if (!given || !timingSafeEqual(expected, Buffer.from(given[1] as string, 'hex')))
      return { status: 401, body: '{}' };
    const hash = createHash('sha256').update(body).digest('hex');
    await client.query('insert into floor_inbox (hash, body) values ($1, $2) on conflict (hash) do nothing', [
      hash,
      body,
    ]);
    return { status: 200, body: '{"outcome":"applied"}' };
  });
  return {
    url,
    close: async () => {
      await stopNode(server);
      await client.close();
    },
  };
}

/** A pair with `facts` facts in an embedded store, served by callpermit: GET call_permissions answers from it. */
export async function queryOurs(dataDir: string, facts: number, seed: number): Promise<Running> {
  const store = await openStore({ dataDir });
  const { pair, facts: history } = pairHistory(0, facts, seed);
  const engine = new Engine(store);
  for (let i = 0; i < history.length; i += 1000) await engine.ingest(history.slice(i, i + 1000));
  const running = await ours(new Engine(store), {}, () => store.close());
  const at = Math.max(...history.map((f) => f.at)) + 60;
  const body = JSON.stringify(await engine.callPermissions(pair, at));
  return { ...running, info: { pair, at, bodyBytes: Buffer.byteLength(body) } };
}

/** The query floor: `node:http` answering a constant JSON body of the same size. */
export async function queryFloor(bodyBytes: number): Promise<Running> {
  const filler = 'x'.repeat(Math.max(0, bodyBytes - '{"messaging_product":"whatsapp","pad":""}'.length));
  const body = JSON.stringify({ messaging_product: 'whatsapp', pad: filler });
  const { server, url } = await serveNode(async (req) => {
    await readBody(req);
    return { status: 200, body };
  });
  return { url, close: () => stopNode(server) };
}

/** A fake Graph API answering every connect at once with a new call id. */
export async function fakeGraph(): Promise<Running> {
  let serial = 0;
  const { server, url } = await serveNode(async (req) => {
    await readBody(req);
    serial++;
    return { status: 200, body: `{"messaging_product":"whatsapp","calls":[{"id":"wacid.BENCH${serial}"}]}` };
  });
  return { url, close: () => stopNode(server) };
}

/**
 * callpermit's guard in front of the fake Graph API, over an embedded store: `pairs` pairs hold a permanent
 * permission, and the connected-call limit is lifted (policy), so every connect is decided, allowed, forwarded
 * and recorded.
 */
export async function guardOurs(dataDir: string, pairs: number, graphUrl: string): Promise<Running> {
  const store = await openStore({ dataDir });
  const policy = policyBook({ connectedCallLimits: [{ periodSeconds: 86_400, maxAllowed: 10_000_000 }] });
  const engine = new Engine(store, { policy });
  const grants: Fact[] = Array.from({ length: pairs }, (_, i) => ({
    type: 'PermissionGranted',
    pair: { business: '109876543210987', user: guardUser(i) },
    at: Math.floor(Date.now() / 1000) - 3600,
    key: `bench:grant:${i}`,
    source: { kind: 'test', ref: 'bench' },
    permanent: true,
    via: 'profile',
  }));
  await engine.ingest(grants);
  return ours(engine, { graph: { url: graphUrl, token: BENCH_META_TOKEN } }, () => store.close());
}

export function guardUser(i: number): string {
  return `4477009${String(i).padStart(5, '0')}`;
}

/** The guard floor: `node:http` that forwards the body to the Graph API with fetch and hands back the answer. */
export async function guardFloor(graphUrl: string): Promise<Running> {
  const { server, url } = await serveNode(async (req) => {
    const body = await readBody(req);
    const answer = await fetch(`${graphUrl}${req.url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_META_TOKEN}` },
      body,
      redirect: 'manual',
    });
    return { status: answer.status, body: await answer.text() };
  });
  return { url, close: () => stopNode(server) };
}
