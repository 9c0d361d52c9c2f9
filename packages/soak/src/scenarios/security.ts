// Attacks on a real `callpermit serve` (PostgreSQL, a fake Graph API on loopback, logs at debug level): forged and
// altered webhook signatures, a replayed body; missing or wrong tokens on every secured operation of its own
// /openapi.json (so a route added later is covered without a line here); tokens limited to another business;
// identifiers carrying SQL, path and unicode tricks; a Graph API that redirects elsewhere; oversized and slow
// bodies. Every refusal must be the expected 4xx, nothing refused may change the log or reach the Graph API, and
// at the end the whole run's output is searched for every secret, token and signature used: none may appear.

import { createHmac } from 'node:crypto';
import { bodyHash, openStore, type SqlStore } from '@callpermit/store';
import { FakeGraph, metaLike } from '@callpermit/testing/graph';
import type { ServeProcess } from '@callpermit/testing/serve';
import { type RawAnswer, rawClient, rawRequest, trickle } from '@callpermit/testing/socket';
import { freeFormRequestBody } from '@callpermit/testing/wire';
import { SOAK_META_TOKEN, SOAK_SECRET, SOAK_TOKEN, webhookCorpus } from '../parts/corpus.js';
import { SOAK_SECRETS, secretsIn } from '../parts/secrets.js';
import { kill, startService } from '../parts/services.js';
import { lastPosition } from '../parts/storeSnapshot.js';
import { type Scenario, type Size, Tally } from '../scenario.js';

const SIZES: Record<Size, { webhooks: number }> = { short: { webhooks: 6 }, full: { webhooks: 200 } };
const BUSINESS = '109876543210987';
/** The only business the limited token may act for. */
const LIMITED_BUSINESS = '102938475610293';
const LIMITED_TOKEN = 'soak-limited-token-5551234567';
const USER = '447700900123';
/** Tokens a caller might send by mistake or on purpose: they must not be logged either. */
const WRONG_TOKENS = ['soak-wrong-token-0123456789', `${SOAK_TOKEN.slice(0, -1)}X`];
/** What the service must never print. */
const SECRETS = [...SOAK_SECRETS, LIMITED_TOKEN, ...WRONG_TOKENS];
/** Paths open without a token (documented in docs/http.md); every other operation must require one. */
const OPEN_PATHS = new Set(['/webhook', '/healthz', '/readyz', '/metrics', '/openapi.json']);
const SERVER_TIMEOUTS = { headersMs: 1500, requestMs: 3000 };
/** How much later than its timeout a slow client may be cut, on a loaded machine. */
const CUT_SLACK_MS = 4000;

/** Identifiers as an attacker writes them, percent-encoded where a URL needs it. */
const TRICKS = [
  "'; drop table facts; --",
  "1' or '1'='1",
  '../../../etc/passwd',
  '..',
  '%2e%2e',
  '%2F',
  `${BUSINESS}%2F..%2F${LIMITED_BUSINESS}`,
  `${BUSINESS}%00`,
  '\u0000',
  '١٠٩٨٧٦٥٤٣٢١٠٩٨٧', // Arabic-Indic digits
  '１０９８７６５４３２１０９８７', // full-width digits
  `${BUSINESS}\u202e`,
  '9'.repeat(400),
  '-1',
  '1e15',
  '0x1F',
];

function encode(text: string): string {
  // Keep the tricks that are already percent-encoded as they are written.
  return /%[0-9A-Fa-f]{2}/.test(text) ? text : encodeURIComponent(text);
}

/** What one check expects, and what it got. */
function expectStatus(tally: Tally, what: string, answer: RawAnswer, allowed: readonly number[]): boolean {
  tally.inputs++;
  if (answer.status >= 500 && !allowed.includes(answer.status)) {
    tally.add('serverErrors', 1, `${what}: ${answer.status} ${answer.text.slice(0, 160)}`);
    return false;
  }
  if (!allowed.includes(answer.status)) {
    tally.add(
      'violations',
      1,
      `${what}: ${answer.status === 0 ? `no answer (${answer.failure})` : answer.status} where ${allowed.join(' or ')} was expected`,
    );
    return false;
  }
  return true;
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly secured: boolean;
  readonly contentType: string | undefined;
  /** Its business parameter (`phone_number_id`, `node_id`), when it names one. */
  readonly businessParam: string | undefined;
}

/** Every operation /openapi.json documents. */
function operationsOf(document: {
  paths?: Record<string, Record<string, { security?: unknown[]; requestBody?: { content?: object } }>>;
}): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {}))
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      out.push({
        method: method.toUpperCase(),
        path,
        secured: (operation.security ?? []).length > 0,
        contentType: Object.keys(operation.requestBody?.content ?? {})[0],
        businessParam: params.find((p) => p === 'phone_number_id' || p === 'node_id'),
      });
    }
  return out;
}

/** A concrete path for a documented one: the business, Meta's version, an edge; any other parameter `1`. */
function concrete(path: string, business: string): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === 'phone_number_id' || name === 'node_id') return business;
    if (name === 'version') return 'v23.0';
    if (name === 'edge') return 'message_templates';
    return '1';
  });
  return /call_permissions|timeline/.test(path) ? `${filled}?user_wa_id=${USER}` : filled;
}

export const security: Scenario = {
  name: 'security',
  summary:
    'signature attacks, missing and wrong tokens on every secured route of /openapi.json, identifier tricks, a redirecting Graph API, oversized and slow bodies: all refused, nothing applied or forwarded, no secret in the logs',
  async run(context) {
    const tally = new Tally();
    const size = SIZES[context.size];
    const databaseUrl = await context.newDatabase();
    const fake = await FakeGraph.start();
    const elsewhere = await FakeGraph.start();
    let service: ServeProcess | undefined;
    let store: SqlStore | undefined;
    const signatures = new Set<string>();
    try {
      service = await startService(
        { databaseUrl },
        {
          CALLPERMIT_GRAPH_URL: fake.url,
          CALLPERMIT_API_TOKENS: `${SOAK_TOKEN},${LIMITED_TOKEN}:${LIMITED_BUSINESS}`,
          CALLPERMIT_LOG_LEVEL: 'debug',
          CALLPERMIT_HEADERS_TIMEOUT_MS: String(SERVER_TIMEOUTS.headersMs),
          CALLPERMIT_REQUEST_TIMEOUT_MS: String(SERVER_TIMEOUTS.requestMs),
        },
      );
      const url = service.url;
      store = await openStore({ databaseUrl });
      const readStore = store;
      const auth = { authorization: `Bearer ${SOAK_TOKEN}` };
      let position = 0;
      /**
       * Runs `fn`; afterwards the log must not have grown: what `fn` sent must change nothing. The inbox must not
       * either, unless `inbox` says it may (a redelivery is counted there, a guard's refusal kept there).
       */
      const changesNothing = async (what: string, fn: () => Promise<void>, inbox = false) => {
        position = await lastPosition(readStore, position);
        const inboxBefore = await readStore.inbox.counts();
        await fn();
        const added = await readStore.readAll(position, 100);
        tally.add('violations', added.length, `${what} changed the log (${added[0]?.fact.type ?? ''})`);
        const inboxAfter = await readStore.inbox.counts();
        if (!inbox && JSON.stringify(inboxAfter) !== JSON.stringify(inboxBefore))
          tally.add('violations', 1, `${what} changed the inbox`);
        tally.rounds++;
      };
      const post = (body: string, signature: string | undefined) =>
        rawRequest(url, '/webhook', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }),
          },
          body,
        });

      // 1. Signatures. The bodies are real webhooks, never delivered before the attack on them.
      const corpus = webhookCorpus(size.webhooks * 2, 20, 71);
      const attacked = corpus.slice(0, size.webhooks);
      const delivered = corpus.slice(size.webhooks);
      for (const d of delivered) {
        signatures.add(d.signature);
        expectStatus(tally, 'a correctly signed webhook', await post(d.body, d.signature), [200]);
      }
      await changesNothing('a forged or altered signature', async () => {
        for (const d of attacked) {
          const hex = d.signature.slice('sha256='.length);
          const reserialised = JSON.stringify(JSON.parse(d.body), null, 1);
          const attacks: [string, string, string | undefined][] = [
            ['no signature', d.body, undefined],
            ['an empty signature', d.body, ''],
            [
              'the wrong secret',
              d.body,
              `sha256=${createHmac('sha256', 'not-the-secret').update(d.body).digest('hex')}`,
            ],
            ['the hex without sha256=', d.body, hex],
            ['a truncated hex', d.body, `sha256=${hex.slice(0, 63)}`],
            ['half the hex', d.body, `sha256=${hex.slice(0, 32)}`],
            [
              'sha1 in place of sha256',
              d.body,
              `sha1=${createHmac('sha1', SOAK_SECRET).update(d.body).digest('hex')}`,
            ],
            ['two signatures', d.body, `sha256=${'0'.repeat(64)},${d.signature}`],
            [
              'the body changed after signing',
              d.body.replace(/\d(?=\D*$)/, (c) => String((Number(c) + 1) % 10)),
              d.signature,
            ],
            ['a space added after signing', `${d.body} `, d.signature],
            ['the body re-serialised', reserialised, d.signature],
            ['the signature of another body', d.body, (delivered[0] ?? d).signature],
          ];
          for (const [what, body, signature] of attacks) {
            if (signature !== undefined) signatures.add(signature);
            expectStatus(tally, `a webhook with ${what}`, await post(body, signature), [401]);
          }
        }
      });
      // Upper-case hex is the same MAC (docs/http.md: accepted); Meta sends lower case.
      for (const d of attacked) {
        const upper = `sha256=${d.signature.slice('sha256='.length).toUpperCase()}`;
        signatures.add(upper);
        expectStatus(tally, 'a webhook signed in upper-case hex', await post(d.body, upper), [200]);
      }
      // A replayed body is acknowledged again and changes nothing (the inbox counts its deliveries).
      await changesNothing(
        'a replayed body',
        async () => {
          for (const d of delivered)
            expectStatus(tally, 'a replayed body', await post(d.body, d.signature), [200]);
        },
        true,
      );
      const kept = new Set<string>();
      for await (const entry of readStore.inbox.iterate({ pageSize: 1000 })) kept.add(entry.hash);
      tally.add(
        'lost',
        corpus.filter((d) => !kept.has(bodyHash(d.body))).length,
        'acknowledged webhooks not in the inbox',
      );
      // The verification handshake with a wrong token.
      expectStatus(
        tally,
        'GET /webhook with a wrong verify token',
        await rawRequest(
          url,
          `/webhook?hub.mode=subscribe&hub.verify_token=${WRONG_TOKENS[0]}&hub.challenge=42`,
        ),
        [403],
      );

      // 2. Tokens on every documented operation.
      const document = JSON.parse((await rawRequest(url, '/openapi.json')).text);
      const operations = operationsOf(document);
      let tokenRoutes = 0;
      const forwardedBefore = fake.received.length;
      await changesNothing('a request without a valid token', async () => {
        for (const op of operations) {
          if (!op.secured) {
            if (!OPEN_PATHS.has(op.path))
              tally.add(
                'violations',
                1,
                `${op.method} ${op.path} is documented without a token and is not an open path`,
              );
            continue;
          }
          tokenRoutes++;
          const path = concrete(op.path, BUSINESS);
          const withQuery = (extra: string) => `${path}${path.includes('?') ? '&' : '?'}${extra}`;
          const init = (headers: Record<string, string>) => ({
            method: op.method,
            headers: {
              ...headers,
              ...(op.contentType === undefined ? {} : { 'content-type': op.contentType }),
            },
            ...(op.method === 'GET' || op.method === 'DELETE'
              ? {}
              : { body: op.contentType?.includes('json') ? '{}' : '' }),
          });
          const cases: [string, string, Record<string, string>][] = [
            ['no token', path, {}],
            ['a wrong bearer token', path, { authorization: `Bearer ${WRONG_TOKENS[0]}` }],
            ['a bearer token one character off', path, { authorization: `Bearer ${WRONG_TOKENS[1]}` }],
            ['an empty bearer', path, { authorization: 'Bearer ' }],
            [
              'the token as Basic credentials',
              path,
              { authorization: `Basic ${Buffer.from(`${SOAK_TOKEN}:`).toString('base64')}` },
            ],
            ['the token without a scheme', path, { authorization: SOAK_TOKEN }],
            ['a wrong access_token', withQuery(`access_token=${WRONG_TOKENS[0]}`), {}],
            ['an empty access_token', withQuery('access_token='), {}],
            [
              'a wrong bearer beside a right access_token',
              withQuery(`access_token=${SOAK_TOKEN}`),
              { authorization: `Bearer ${WRONG_TOKENS[0]}` },
            ],
          ];
          for (const [what, target, headers] of cases) {
            const answer = await rawRequest(url, target, init(headers));
            if (
              expectStatus(tally, `${op.method} ${op.path} with ${what}`, answer, [401]) &&
              answer.headers['www-authenticate'] === undefined
            )
              tally.add('violations', 1, `${op.method} ${op.path}: a 401 without WWW-Authenticate`);
          }
          // A token limited to another business may not act for this one (nor ingest captures for all).
          if (op.businessParam !== undefined || op.path === '/v1/captures')
            expectStatus(
              tally,
              `${op.method} ${op.path} with a token limited to another business`,
              await rawRequest(url, path, init({ authorization: `Bearer ${LIMITED_TOKEN}` })),
              [403],
            );
        }
      });
      if (fake.received.length !== forwardedBefore)
        tally.add(
          'violations',
          fake.received.length - forwardedBefore,
          'a request without a valid token reached the Graph API',
        );
      // The same operations with the right token are not refused for want of one: the table tests something.
      for (const op of operations.filter((o) => o.secured && o.method === 'GET')) {
        const answer = await rawRequest(url, concrete(op.path, BUSINESS), { headers: auth });
        if (answer.status === 401 || answer.status === 403)
          tally.add('violations', 1, `${op.method} ${op.path}: the right token refused (${answer.status})`);
        else expectStatus(tally, `${op.method} ${op.path} with the right token`, answer, [answer.status]);
      }
      if (!operations.some((o) => o.path === '/v1/captures') || tokenRoutes < 10)
        tally.add('violations', 1, `/openapi.json lists too few secured operations (${tokenRoutes})`);

      // 3. Identifiers with SQL, path and unicode tricks: a 4xx, never forwarded off the node named.
      const forwardedBeforeTricks = fake.received.length;
      await changesNothing(
        'an identifier with a trick',
        async () => {
          for (const trick of TRICKS) {
            const t = encode(trick);
            const probes: [string, string, string | undefined][] = [
              ['phone number id', `/v1/${t}/call_permissions?user_wa_id=${USER}`, undefined],
              ['user_wa_id', `/v1/${BUSINESS}/call_permissions?user_wa_id=${t}`, undefined],
              ['recipient', `/v1/${BUSINESS}/call_permissions/requests?recipient=${t}`, undefined],
              ['at', `/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}&at=${t}`, undefined],
              ['timeline user', `/v1/${BUSINESS}/timeline?user_wa_id=${t}`, undefined],
              ['Graph node', `/v23.0/${t}/message_templates`, undefined],
              ['guard node', `/v23.0/${t}/messages`, JSON.stringify(freeFormRequestBody(USER))],
              ['guard recipient', `/v23.0/${BUSINESS}/messages`, JSON.stringify(freeFormRequestBody(trick))],
              [
                'connect recipient',
                `/v23.0/${BUSINESS}/calls`,
                JSON.stringify({
                  messaging_product: 'whatsapp',
                  to: trick,
                  action: 'connect',
                  session: { sdp_type: 'offer', sdp: 'v=0' },
                }),
              ],
            ];
            for (const [where, path, body] of probes) {
              const answer = await rawRequest(url, path, {
                method: body === undefined ? 'GET' : 'POST',
                headers: { ...auth, 'content-type': 'application/json' },
                ...(body === undefined ? {} : { body }),
              });
              // A recipient Meta reads as a phone number (`-1` is wa_id 1) is refused by the guard: 138006.
              const refusal = answer.status === 401 && answer.text.includes('"code":138006');
              expectStatus(
                tally,
                `${JSON.stringify(trick)} as the ${where}`,
                answer,
                refusal ? [401] : [400, 404],
              );
            }
          }
        },
        true,
      );
      for (const received of fake.received.slice(forwardedBeforeTricks))
        tally.add(
          'violations',
          1,
          `an identifier trick was forwarded: ${received.method} ${received.url.slice(0, 120)}`,
        );
      // Dot segments, raw on the wire, are resolved before anything is decided (as a URL is): the answer is the
      // resolved path's, a limited token's scope applies to the node it resolves to, and nothing else goes upstream.
      const forwardedBeforeDots = fake.received.length;
      const resolvedPaths = new Set<string>();
      const connectBody = JSON.stringify({
        messaging_product: 'whatsapp',
        to: '447700900999',
        action: 'connect',
        session: { sdp_type: 'offer', sdp: 'v=0' },
      });
      for (const dots of ['..', '%2e%2e', '%2E%2E', '.', '%2e']) {
        for (const [path, token] of [
          [`/v23.0/${LIMITED_BUSINESS}/${dots}/${BUSINESS}/calls`, LIMITED_TOKEN],
          [`/v23.0/${BUSINESS}/${dots}/${LIMITED_BUSINESS}/calls`, LIMITED_TOKEN],
          [`/v23.0/${BUSINESS}/${dots}/${BUSINESS}/calls`, SOAK_TOKEN],
          [`/v1/${BUSINESS}/calls/${dots}`, SOAK_TOKEN],
          [`/${LIMITED_BUSINESS}/${dots}/${BUSINESS}/message_templates`, LIMITED_TOKEN],
        ] as const) {
          const resolved = new URL(path, 'http://x').pathname;
          resolvedPaths.add(resolved.replace(/\/+$/, ''));
          const init = {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: connectBody,
          };
          const walked = await rawRequest(url, path, init);
          const direct = await rawRequest(url, resolved, init);
          const node = resolved.split('/').find((segment) => /^\d+$/.test(segment));
          const allowed =
            token === LIMITED_TOKEN && node !== undefined && node !== LIMITED_BUSINESS
              ? [403]
              : [direct.status];
          expectStatus(tally, `POST ${path} (resolved ${resolved})`, walked, allowed);
        }
      }
      for (const received of fake.received.slice(forwardedBeforeDots)) {
        const path = (received.url.split('?')[0] ?? '').replace(/\/+$/, '');
        if (![...resolvedPaths].some((r) => path === r || path === r.replace(/^\/v1/, '')))
          tally.add('violations', 1, `a path with dot segments went upstream as ${path}`);
        // The calls edge of a node (the one path Meta connects calls on) is decided, never forwarded undecided.
        if (/^(?:\/v\d+\.\d+)?\/\d+\/calls$/.test(path))
          tally.add('violations', 1, `a connect was forwarded undecided to ${path}`);
      }
      // The tables are all there.
      await readStore.readAll(0, 1);
      await readStore.inbox.counts();

      // 4. A Graph API that redirects: the redirect is handed back, never followed.
      fake.respond = (r) => ({
        status: r.method === 'GET' ? 302 : 307,
        headers: { location: `${elsewhere.url}${r.url}` },
        body: '',
      });
      for (const [method, path, body] of [
        ['GET', `/v23.0/${BUSINESS}/message_templates`, undefined],
        [
          'POST',
          `/v23.0/${BUSINESS}/messages`,
          JSON.stringify({ messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'hi' } }),
        ],
        ['POST', `/v23.0/${BUSINESS}/messages`, JSON.stringify(freeFormRequestBody(USER))],
        ['GET', `/v23.0/${BUSINESS}/call_permissions?user_wa_id=${USER}&verify=meta`, undefined],
      ] as const) {
        const answer = await rawRequest(url, path, {
          method,
          headers: { ...auth, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body }),
        });
        // Handed back as Meta's answer, or a refusal decided before any call, or 502 where an answer is read.
        expectStatus(tally, `${method} ${path} redirected upstream`, answer, [302, 307, 400, 401, 502]);
      }
      fake.respond = metaLike;
      tally.add('violations', elsewhere.received.length, 'a redirect of the Graph API was followed');

      // 5. Oversized and slow bodies.
      const huge = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [],
        pad: 'x'.repeat(3 * 1024 * 1024),
      });
      await changesNothing('an oversized or slow body', async () => {
        const signature = `sha256=${createHmac('sha256', SOAK_SECRET).update(huge).digest('hex')}`;
        signatures.add(signature);
        // Its length announced: refused from the headers, before the body is read.
        const announced = await rawClient(url);
        announced.socket.write(
          `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Hub-Signature-256: ${signature}\r\nContent-Length: ${huge.length}\r\n\r\n`,
        );
        await Promise.race([announced.closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        announced.socket.destroy();
        tally.inputs++;
        if (!/^HTTP\/1\.1 413 /.test(announced.received()))
          tally.add(
            'violations',
            1,
            `a webhook announced larger than 3 MB answered ${announced.received().slice(0, 20)}`,
          );
        // Chunked, its length unknown: cut once past the limit (a 413, or the connection closed), nothing stored.
        const chunked = await rawClient(url);
        chunked.socket.write(
          `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Hub-Signature-256: ${signature}\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        for (let i = 0; i < huge.length && !chunked.socket.destroyed; i += 256 * 1024) {
          const part = huge.slice(i, i + 256 * 1024);
          chunked.socket.write(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
        }
        if (!chunked.socket.destroyed) chunked.socket.write('0\r\n\r\n');
        await Promise.race([chunked.closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        chunked.socket.destroy();
        tally.inputs++;
        if (/^HTTP\/1\.1 (?!413)/.test(chunked.received()))
          tally.add(
            'violations',
            1,
            `a chunked webhook larger than 3 MB answered ${chunked.received().slice(0, 20)}`,
          );
        const loris = await rawClient(url);
        const headers = trickle(
          loris.socket,
          `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Slow: y\r\n'.repeat(200)}\r\n`,
          100,
        );
        const slow = await rawClient(url);
        const body = (delivered[0] as { body: string }).body;
        slow.socket.write(
          `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Hub-Signature-256: ${(delivered[0] as { signature: string }).signature}\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        const trickled = trickle(slow.socket, body, 50);
        const [lorisMs, slowMs] = await Promise.all([loris.closed, slow.closed]);
        await Promise.all([headers, trickled]);
        tally.inputs += 2;
        if (lorisMs > SERVER_TIMEOUTS.headersMs + CUT_SLACK_MS || loris.received().includes('200 OK'))
          tally.add(
            'violations',
            1,
            `headers trickled in were served or cut after ${Math.round(lorisMs)} ms`,
          );
        if (slowMs > SERVER_TIMEOUTS.requestMs + CUT_SLACK_MS || !/^HTTP\/1\.1 408 /.test(slow.received()))
          tally.add(
            'violations',
            1,
            `a trickled body was cut after ${Math.round(slowMs)} ms with ${slow.received().slice(0, 20)}`,
          );
        tally.note({ slowlorisCutMs: Math.round(lorisMs), slowBodyCutMs: Math.round(slowMs) });
      });

      // 6. Nothing the service forwarded carried the caller's token; nothing it printed carries a secret.
      for (const received of fake.received) {
        const text = `${received.url} ${JSON.stringify(received.headers)} ${received.body}`;
        for (const token of [SOAK_TOKEN, LIMITED_TOKEN, ...WRONG_TOKENS])
          if (text.includes(token))
            tally.add('violations', 1, 'a caller token was forwarded to the Graph API');
        if (received.headers.authorization !== `Bearer ${SOAK_META_TOKEN}`)
          tally.add('violations', 1, 'a Graph call went out without callpermit’s Meta token');
      }
      await service.stop();
      const output = service.output();
      const hexes = [...signatures].map((s) => s.replace(/^\w+=/, '')).filter((h) => h.length >= 16);
      for (const leak of secretsIn(output, [...SECRETS, ...hexes]))
        tally.add('violations', 1, `the service printed ${leak}`);
      tally.note({
        operations: operations.length,
        tokenRoutes,
        signaturesTried: signatures.size,
        logBytes: output.length,
        logLines: output.split('\n').length,
      });
    } finally {
      if (service !== undefined) await kill(service);
      await store?.close();
      await fake.close();
      await elsewhere.close();
    }
    return tally.report();
  },
};
