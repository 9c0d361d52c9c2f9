// The HTTP service under load on loopback (autocannon, bounded in time), each beside its floor in the same
// run: signed webhook ingest (PGlite, PostgreSQL), GET call_permissions at 10,000 facts, guarded connects.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { type Benchmark, result, round } from '../benchmark.js';
import { captureLines } from '../captureGenerator.js';
import { withFreshDatabases, withTempDir } from '../durable/databases.js';
import { type LoadResult, load, startInChild } from '../http/load.js';
import { BENCH_SECRET, BENCH_TOKEN, guardUser } from '../http/servers.js';

/** Seconds of load per server, after WARM_UP_SECONDS of unrecorded load. */
const SECONDS = 10;
const WARM_UP_SECONDS = 2;
const CONNECTIONS = 10;
/**
 * http.query measures latency: one connection, a request at a time, so the p99 is the service time and not a
 * queue (ten connections on one busy core put every request behind nine others).
 */
const QUERY_CONNECTIONS = 1;
/** Webhook bodies prepared: more than a run sends, so each delivery is a new body (no redelivery). */
const WEBHOOK_BODIES = 40_000;
const QUERY_FACTS = 10_000;
const GUARD_PAIRS = 1000;
const BUSINESS = '109876543210987';

function describe(label: string, r: LoadResult): string {
  return `${label}: ${round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors`;
}

/** Fails a run whose answers were not what the benchmark measures (a figure of errors means nothing). */
function checked(label: string, r: LoadResult): LoadResult {
  if (r.errors > 0 || r.non2xx > 0 || r.requests === 0)
    throw new Error(`${label}: ${r.non2xx} non-2xx and ${r.errors} errors out of ${r.requests} requests`);
  return r;
}

/** Measures `url` after a warm-up, with the same request plan. */
async function measure(
  label: string,
  plan: Omit<Parameters<typeof load>[0], 'seconds'>,
  log: (m: string) => void,
) {
  await load({ ...plan, seconds: WARM_UP_SECONDS });
  const r = checked(label, await load({ ...plan, seconds: SECONDS }));
  log(describe(label, r));
  return r;
}

/** Webhook bodies as Meta posts them (the webhook lines of a generated capture), each with its signature. */
function signedWebhooks(): { body: string; signature: string }[] {
  const out: { body: string; signature: string }[] = [];
  for (const line of captureLines({ lines: WEBHOOK_BODIES * 2, pairs: 5000, seed: 11 })) {
    const parsed = JSON.parse(line) as { kind?: string; payload?: unknown };
    if (parsed.kind !== 'webhook') continue;
    const body = JSON.stringify(parsed.payload);
    out.push({ body, signature: `sha256=${createHmac('sha256', BENCH_SECRET).update(body).digest('hex')}` });
    if (out.length >= WEBHOOK_BODIES) break;
  }
  return out;
}

function webhookBenchmark(driver: 'pglite' | 'postgres'): Benchmark {
  const name = `http.webhook.${driver}`;
  return {
    name,
    async run(log) {
      const bodies = signedWebhooks();
      log(`${name}: ${bodies.length} signed webhook bodies from the capture generator`);
      return withFreshDatabases(driver, log, async (databases) => {
        const figures: Record<string, LoadResult> = {};
        for (const side of ['ours', 'floor'] as const) {
          const served = await startInChild(`webhook-${side}`, {
            store: await databases.create(`http_webhook_${side}`),
          });
          let i = 0;
          try {
            figures[side] = await measure(
              `${name} ${side}`,
              {
                url: served.url,
                connections: CONNECTIONS,
                method: 'POST',
                path: '/webhook',
                headers: { 'content-type': 'application/json' },
                next: () => {
                  const b = bodies[i++ % bodies.length] as { body: string; signature: string };
                  return { body: b.body, headers: { 'x-hub-signature-256': b.signature } };
                },
              },
              log,
            );
          } finally {
            await served.stop();
          }
        }
        const [ours, floor] = [figures.ours as LoadResult, figures.floor as LoadResult];
        return result(
          name,
          `signed webhooks/s on loopback, committed before 200 (${databases.label}; p99 ${ours.p99} ms vs ${floor.p99} ms); target ratio ≥ 0.5`,
          round(ours.rps),
          round(floor.rps),
          'node:http: HMAC check + INSERT of the raw body, same database',
        );
      });
    },
  };
}

export const httpWebhookPglite = webhookBenchmark('pglite');
export const httpWebhookPostgres = webhookBenchmark('postgres');

/**
 * http.query: GET /v1/{id}/call_permissions over HTTP for a pair with 10,000 facts in an embedded store, at
 * instants after its last fact; against node:http answering a constant JSON body of the same size. The target
 * is a p99 under 5 ms.
 */
export const httpQuery: Benchmark = {
  name: 'http.query',
  async run(log) {
    return withTempDir('callpermit-bench-http-', async (dir) => {
      const started = performance.now();
      const served = await startInChild('query-ours', {
        dataDir: join(dir, 'db'),
        facts: QUERY_FACTS,
        seed: 99,
      });
      log(
        `http.query: ${QUERY_FACTS} facts ingested and served in ${round((performance.now() - started) / 1000)} s`,
      );
      const { pair, at, bodyBytes } = served.info as {
        pair: { user: string };
        at: number;
        bodyBytes: number;
      };
      let ours: LoadResult;
      let step = 0;
      try {
        ours = await measure(
          'http.query ours',
          {
            url: served.url,
            connections: QUERY_CONNECTIONS,
            path: '/',
            headers: { authorization: `Bearer ${BENCH_TOKEN}` },
            next: () => ({
              path: `/v1/${BUSINESS}/call_permissions?user_wa_id=${pair.user}&at=${at + (step++ % 10_000) * 60}`,
            }),
          },
          log,
        );
      } finally {
        await served.stop();
      }
      const floorServer = await startInChild('query-floor', { bodyBytes });
      let floor: LoadResult;
      try {
        floor = await measure(
          'http.query floor',
          {
            url: floorServer.url,
            connections: CONNECTIONS,
            path: `/v1/${BUSINESS}/call_permissions?user_wa_id=${pair.user}`,
          },
          log,
        );
      } finally {
        await floorServer.stop();
      }
      log(
        `http.query: p99 ${ours.p99} ms (target < 5 ms: ${ours.p99 < 5 ? 'met' : 'NOT met'}), body ${bodyBytes} bytes`,
      );
      return result(
        'http.query',
        `GET call_permissions/s over HTTP, one connection, pair with 10,000 facts, PGlite (p99 ${ours.p99} ms, target < 5 ms)`,
        round(ours.rps),
        round(floor.rps),
        `node:http answering a constant ${bodyBytes}-byte JSON body`,
      );
    });
  },
};

/**
 * http.guard: guarded connect calls per second (decided under the pair's lock, forwarded to a fake Graph API
 * answering at once, recorded before the answer) over 1,000 pairs with a permanent permission, against a bare
 * node:http forwarder to the same fake Graph API.
 */
export const httpGuard: Benchmark = {
  name: 'http.guard',
  async run(log) {
    return withTempDir('callpermit-bench-http-', async (dir) => {
      const graph = await startInChild('fake-graph');
      try {
        let n = 0;
        const plan = (url: string) => ({
          url,
          connections: CONNECTIONS,
          method: 'POST' as const,
          path: `/v23.0/${BUSINESS}/calls`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
          next: () => ({
            body: JSON.stringify({
              messaging_product: 'whatsapp',
              to: guardUser(n++ % GUARD_PAIRS),
              action: 'connect',
              session: { sdp_type: 'offer', sdp: 'v=0' },
            }),
          }),
        });
        const served = await startInChild('guard-ours', {
          dataDir: join(dir, 'db'),
          pairs: GUARD_PAIRS,
          graphUrl: graph.url,
        });
        let ours: LoadResult;
        try {
          ours = await measure('http.guard ours', plan(served.url), log);
        } finally {
          await served.stop();
        }
        const floorServer = await startInChild('guard-floor', { graphUrl: graph.url });
        let floor: LoadResult;
        try {
          floor = await measure('http.guard floor', plan(floorServer.url), log);
        } finally {
          await floorServer.stop();
        }
        return result(
          'http.guard',
          `guarded connect calls/s (decided, forwarded, recorded; PGlite; p99 ${ours.p99} ms vs ${floor.p99} ms)`,
          round(ours.rps),
          round(floor.rps),
          'node:http forwarding each call to the same fake Graph API',
        );
      } finally {
        await graph.stop();
      }
    });
  },
};
