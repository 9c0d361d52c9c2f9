// The change feed over real loopback HTTP, in one process: the long poll, the event stream resumed with
// Last-Event-ID, a limited token's view, webhook subscriptions (signed deliveries verified with the snippet
// docs/changes.md gives, retries, pause and resume, visible in /metrics), the subscriptions file, and two
// instances on one throwaway PostgreSQL delivering each change once between them.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, type Fact, MemoryFactStore } from '@callpermit/core';
import { MemorySubscriptions, openStore, type SqlStore } from '@callpermit/store';
import { describeWithPostgres } from '@callpermit/testing';
import { BUSINESS, payloadOf, reply, userText } from '@callpermit/testing/wire';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpConfigError, readSubscriptionsFile } from './config.js';
import { backoffSeconds, DEFAULT_DELIVERY_POLICY } from './feed/delivery.js';
import { startFeedRunner } from './feed/runner.js';
import { Metrics } from './metrics.js';
import {
  bodyOf,
  nowSeconds,
  OTHER_BUSINESS,
  postJson,
  SCOPED_TOKEN,
  startService,
  type TestService,
  TOKEN,
} from './test/service.js';
import { listedFeed, Subscriber, type WireChange } from './test/subscriber.js';

const SUB_SECRET = 'subscriber-secret-0123';
/** Quick retries, so a subscriber failing three times costs a test well under a second of backoff. */
const QUICK = { firstBackoffSeconds: 0.05, maxBackoffSeconds: 0.2, idleSeconds: 0.05 };

/** The verification snippet of docs/changes.md, run as a subscriber would run it. */
function documentedVerifier(): (secret: string, header: string, rawBody: string) => boolean {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/changes.md', import.meta.url)), 'utf8');
  const block = /<!-- verify -->\s*```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error('docs/changes.md has no verification snippet');
  const lines = block.trimEnd().split('\n');
  expect(lines).toHaveLength(5);
  expect(lines[0]).toBe("import { createHmac, timingSafeEqual } from 'node:crypto';");
  const body = `${lines.slice(1).join('\n')}\nreturn ok;`;
  const fn = new Function('createHmac', 'timingSafeEqual', 'secret', 'header', 'rawBody', body);
  return (secret, header, rawBody) => fn(createHmac, timingSafeEqual, secret, header, rawBody) as boolean;
}

/** The whole feed as `GET /v1/changes` lists it (to the unlimited token unless another is named). */
const feedOf = (service: TestService, token = TOKEN) => listedFeed(service.url, token);

/** A grant by the user (a reply) that expires `inSeconds` from now: granted now, expired by time alone. */
function shortGrant(id: string, user: string, inSeconds: number): string {
  const at = nowSeconds();
  return payloadOf(reply(id, at, { response: 'accept', permanent: false, expiration: at + inSeconds }, user));
}

/** The events of an SSE stream as they come: `{id, event, data}`; stops when `until` says so or on timeout. */
async function readEvents(
  response: Response,
  until: (events: { id: string; event: string; data: string }[]) => boolean,
  timeoutMs = 15_000,
): Promise<{ events: { id: string; event: string; data: string }[]; raw: string }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { id: string; event: string; data: string }[] = [];
  let raw = '';
  let buffer = '';
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!until(events)) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      raw += text;
      buffer += text;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .filter((l) => l.startsWith(`${name}:`))
            .map((l) => l.slice(name.length + 1).trimStart())
            .join('\n');
        if (field('data') !== '')
          events.push({ id: field('id'), event: field('event'), data: field('data') });
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return { events, raw };
}

describe('the change feed over HTTP', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService({
      store: 'pglite',
      feedPollMs: 20,
      feed: { materialiseEveryMs: 100, deliverEveryMs: 50, delivery: QUICK },
    });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('a long poll waits for the next change and answers as soon as a fact commits; an empty wait ends empty', async () => {
    const latest = (await feedOf(service)).at(-1)?.seq ?? 0;
    const empty = await bodyOf(await service.call(`/v1/changes?after=${latest}&wait=1`));
    expect(empty).toEqual({ data: [], next: latest });
    const started = Date.now();
    const polling = service.call(`/v1/changes?after=${latest}&wait=30`);
    await new Promise((r) => setTimeout(r, 300));
    expect((await service.deliver(shortGrant('wamid.LP1', '447700944401', 86_400))).status).toBe(200);
    const page = await bodyOf(await polling);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(page.data.length).toBeGreaterThan(0);
    expect(page.data.every((c: WireChange) => c.seq > latest && c.business === BUSINESS)).toBe(true);
    expect(page.data.map((c: WireChange) => c.kind)).toContain('permission.granted');
    expect(page.next).toBe(page.data.at(-1).seq);
    // In sequence order, and the next page starts after it.
    const seqs = page.data.map((c: WireChange) => c.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect((await bodyOf(await service.call(`/v1/changes?after=${page.next}`))).data).toEqual([]);
  });

  it('bad cursors and waits are 400; no token is 401', async () => {
    for (const q of ['after=-1', 'after=x', 'wait=61', 'limit=0', 'business=12ab'])
      expect((await service.call(`/v1/changes?${q}`)).status).toBe(400);
    expect((await fetch(`${service.url}/v1/changes`)).status).toBe(401);
    expect((await fetch(`${service.url}/v1/changes/stream`)).status).toBe(401);
    const badResume = await service.call('/v1/changes/stream', { headers: { 'last-event-id': 'abc' } });
    expect(badResume.status).toBe(400);
  });

  it('the event stream sends each change with its sequence number as id, and resumes after Last-Event-ID', async () => {
    const latest = (await feedOf(service)).at(-1)?.seq ?? 0;
    const first = await service.call(`/v1/changes/stream?after=${latest}`);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await service.deliver(shortGrant('wamid.SSE1', '447700944402', 86_400));
    const expected = (await feedOf(service)).filter((c) => c.seq > latest);
    expect(expected.length).toBeGreaterThan(0);
    const { events } = await readEvents(first, (e) => e.length >= expected.length);
    expect(events.map((e) => [e.id, e.event])).toEqual(expected.map((c) => [String(c.seq), 'change']));
    expect(events.map((e) => JSON.parse(e.data))).toEqual(expected);
    // Disconnected; meanwhile more changes. A reconnect with Last-Event-ID gets exactly those after it.
    const lastSeen = events.at(-1)?.id as string;
    await service.deliver(payloadOf(userText('wamid.SSE2', nowSeconds(), '447700944402')));
    await service.deliver(shortGrant('wamid.SSE3', '447700944403', 86_400));
    const missed = (await feedOf(service)).filter((c) => c.seq > Number(lastSeen));
    expect(missed.length).toBeGreaterThan(1);
    const resumed = await service.call('/v1/changes/stream?after=0', {
      headers: { 'last-event-id': lastSeen },
    });
    const again = await readEvents(resumed, (e) => e.length >= missed.length);
    expect(again.events.map((e) => Number(e.id))).toEqual(missed.map((c) => c.seq));
  });

  it('an idle stream sends heartbeats (comment lines) so proxies keep it open', async () => {
    const quiet = await startService({ store: 'memory', feedPollMs: 20, feedHeartbeatMs: 100 });
    try {
      const response = await quiet.call('/v1/changes/stream');
      const started = Date.now();
      const { raw } = await readEvents(response, () => Date.now() - started > 400, 2000);
      expect(raw.match(/^: heartbeat$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    } finally {
      await quiet.close();
    }
  });

  it('a token limited to some businesses sees only their changes and subscriptions', async () => {
    const other: Fact = {
      type: 'UserMessaged',
      pair: { business: OTHER_BUSINESS, user: '447700944404' },
      at: nowSeconds(),
      key: 'other:wamid.OTHER1',
      source: { kind: 'test', ref: 'feed' },
      messageId: 'wamid.OTHER1',
    };
    await service.engine.ingest([other]);
    await service.deliver(payloadOf(userText('wamid.MINE1', nowSeconds(), '447700944404')));
    const all = await feedOf(service);
    expect(all.some((c) => c.business === OTHER_BUSINESS)).toBe(true);
    const scoped = await feedOf(service, SCOPED_TOKEN);
    expect(scoped).toEqual(all.filter((c) => c.business === BUSINESS));
    const as = { headers: { authorization: `Bearer ${SCOPED_TOKEN}` } };
    expect((await service.call(`/v1/changes?business=${OTHER_BUSINESS}`, as)).status).toBe(403);
    expect((await service.call(`/v1/changes/stream?business=${OTHER_BUSINESS}`, as)).status).toBe(403);
    const narrowed = await bodyOf(await service.call(`/v1/changes?business=${OTHER_BUSINESS}&limit=1000`));
    expect(narrowed.data).toEqual(all.filter((c) => c.business === OTHER_BUSINESS).slice(0, 1000));

    const post = (body: unknown, token: string) =>
      service.call('/v1/subscriptions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const hook = { url: 'http://127.0.0.1:9/hook', secret: SUB_SECRET };
    expect((await post({ ...hook, id: 'scoped-all' }, SCOPED_TOKEN)).status).toBe(403);
    expect((await post({ ...hook, id: 'scoped-other', business: OTHER_BUSINESS }, SCOPED_TOKEN)).status).toBe(
      403,
    );
    expect((await post({ ...hook, id: 'scoped-mine', business: BUSINESS }, SCOPED_TOKEN)).status).toBe(201);
    expect((await postJson(service, '/v1/subscriptions', { ...hook, id: 'unscoped' })).status).toBe(201);
    const seenScoped = await bodyOf(await service.call('/v1/subscriptions', as));
    expect(seenScoped.data.map((s: { id: string }) => s.id)).toEqual(['scoped-mine']);
    expect(JSON.stringify(seenScoped)).not.toContain(SUB_SECRET);
    expect((await service.call('/v1/subscriptions/unscoped', { ...as, method: 'DELETE' })).status).toBe(404);
    expect((await service.call('/v1/subscriptions/scoped-mine', { ...as, method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await service.call('/v1/subscriptions/unscoped', { method: 'DELETE' })).status).toBe(204);
    expect((await service.call('/v1/subscriptions/unscoped', { method: 'DELETE' })).status).toBe(404);
  });

  it('a subscription is refused with a clear 400 when its body is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ url: 'ftp://x.example/h', secret: SUB_SECRET }, /url/],
      [{ url: 'http://127.0.0.1:9/h', secret: 'short' }, /secret/],
      [{ url: 'http://127.0.0.1:9/h', secret: SUB_SECRET, kinds: ['permission.nope'] }, /kinds/],
      [{ url: 'http://127.0.0.1:9/h', secret: SUB_SECRET, surprise: 1 }, /surprise|Unrecognized/],
    ];
    for (const [body, message] of cases) {
      const response = await postJson(service, '/v1/subscriptions', body);
      expect(response.status).toBe(400);
      expect((await bodyOf(response)).error.message).toMatch(message);
    }
    expect(
      (
        await postJson(service, '/v1/subscriptions', {
          id: 'twice',
          url: 'http://127.0.0.1:9/h',
          secret: SUB_SECRET,
        })
      ).status,
    ).toBe(201);
    const again = await postJson(service, '/v1/subscriptions', {
      id: 'twice',
      url: 'http://127.0.0.1:9/h',
      secret: SUB_SECRET,
    });
    expect(again.status).toBe(400);
    expect((await bodyOf(again)).error.message).toMatch(/exists already/);
    await service.call('/v1/subscriptions/twice', { method: 'DELETE' });
  });

  describe('webhooks', () => {
    let subscriber: Subscriber;
    afterEach(async () => {
      await subscriber?.close();
    });

    it('a subscriber failing its first three deliveries still receives every change exactly as the feed lists it, signed, time-driven ones included', async () => {
      subscriber = await Subscriber.start(3);
      const made = await postJson(service, '/v1/subscriptions', {
        id: 'crm-retries',
        url: subscriber.url,
        secret: SUB_SECRET,
        business: BUSINESS,
      });
      expect(made.status).toBe(201);
      const start = (await bodyOf(made)).cursor as number;
      // A grant expiring in 2 s: its expiry is a change Meta never sends, written by the materialiser.
      await service.deliver(shortGrant('wamid.WH1', '447700944405', 2));
      await service.deliver(payloadOf(userText('wamid.WH2', nowSeconds(), '447700944406')));
      const deadline = Date.now() + 20_000;
      let expected: WireChange[] = [];
      while (Date.now() < deadline) {
        expected = (await feedOf(service)).filter((c) => c.seq > start && c.business === BUSINESS);
        if (expected.some((c) => c.kind === 'permission.expired' && c.user === '447700944405')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const expiry = expected.find((c) => c.kind === 'permission.expired');
      expect(expiry?.cause).toEqual({ kind: 'time' });
      await subscriber.waitFor(expected.at(-1)?.seq as number);
      expect(subscriber.deliveries.slice(0, 4).map((d) => d.status)).toEqual([500, 500, 500, 200]);
      // The failed ones were the same first batch, sent again: nothing skipped, nothing out of order.
      expect(subscriber.accepted()).toEqual(expected);
      const verified = documentedVerifier();
      for (const d of subscriber.deliveries) {
        expect(d.subscription).toBe('crm-retries');
        expect(verified(SUB_SECRET, d.signature as string, d.body)).toBe(true);
        expect(verified('another-secret-0123', d.signature as string, d.body)).toBe(false);
        expect(verified(SUB_SECRET, d.signature as string, `${d.body} `)).toBe(false);
      }
      const listed = await bodyOf(await service.call('/v1/subscriptions'));
      expect(listed.data.find((s: { id: string }) => s.id === 'crm-retries')).toMatchObject({
        status: 'active',
        cursor: expect.any(Number),
        failures: 0,
        delivered: expected.length,
        last_error: null,
      });
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/callpermit_webhook_deliveries_total\{result="failed"\} 3/);
      await service.call('/v1/subscriptions/crm-retries', { method: 'DELETE' });
    });

    it('a slow subscriber holds back no other one', async () => {
      subscriber = await Subscriber.start();
      const slow = await Subscriber.start();
      slow.delayMs = 4000;
      try {
        for (const [id, to] of [
          ['slow', slow],
          ['quick', subscriber],
        ] as const)
          await postJson(service, '/v1/subscriptions', { id, url: to.url, secret: SUB_SECRET });
        await service.deliver(payloadOf(userText('wamid.SLOW1', nowSeconds(), '447700944409')));
        await slow.waitFor((await feedOf(service)).at(-1)?.seq as number);
        // The slow one holds its first delivery; meanwhile another change reaches the quick one.
        await service.deliver(payloadOf(userText('wamid.SLOW2', nowSeconds(), '447700944410')));
        const last = (await feedOf(service)).at(-1)?.seq as number;
        await subscriber.waitFor(last);
        expect(slow.answered).toBe(0);
        await slow.waitFor(last, 30_000);
        expect(slow.accepted()).toEqual(subscriber.accepted());
      } finally {
        await service.call('/v1/subscriptions/slow', { method: 'DELETE' });
        await service.call('/v1/subscriptions/quick', { method: 'DELETE' });
        await slow.close();
      }
    });

    it('a subscription keeps only the kinds it asked for', async () => {
      subscriber = await Subscriber.start();
      const made = await bodyOf(
        await postJson(service, '/v1/subscriptions', {
          id: 'grants-only',
          url: subscriber.url,
          secret: SUB_SECRET,
          kinds: ['permission.granted'],
        }),
      );
      await service.deliver(payloadOf(userText('wamid.K1', nowSeconds(), '447700944407')));
      await service.deliver(shortGrant('wamid.K2', '447700944407', 86_400));
      const grants = (await feedOf(service)).filter(
        (c) => c.seq > made.cursor && c.kind === 'permission.granted',
      );
      expect(grants.length).toBeGreaterThan(0);
      await subscriber.waitFor(grants.at(-1)?.seq as number);
      expect(subscriber.accepted()).toEqual(grants);
      await service.call('/v1/subscriptions/grants-only', { method: 'DELETE' });
    });
  });
});

describe('a subscription that keeps failing', () => {
  it('is paused, shows so in GET /v1/subscriptions and /metrics, and resumes from its cursor', async () => {
    const subscriber = await Subscriber.start(Number.POSITIVE_INFINITY);
    const service = await startService({
      store: 'memory',
      feed: {
        materialiseEveryMs: 100,
        deliverEveryMs: 20,
        delivery: { ...QUICK, giveUpSeconds: 0.5 },
      },
    });
    try {
      await postJson(service, '/v1/subscriptions', { id: 'down', url: subscriber.url, secret: SUB_SECRET });
      await service.deliver(shortGrant('wamid.P1', '447700944408', 86_400));
      const deadline = Date.now() + 15_000;
      let listed: { status: string; failures: number; last_error: string; cursor: number } | undefined;
      while (Date.now() < deadline) {
        listed = (await bodyOf(await service.call('/v1/subscriptions'))).data[0];
        if (listed?.status === 'paused') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(listed).toMatchObject({ status: 'paused', last_error: 'HTTP 500', cursor: 0 });
      expect(listed?.failures).toBeGreaterThan(1);
      const attempts = subscriber.deliveries.length;
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toContain('callpermit_subscription_paused{subscription="down"} 1');
      expect(metrics).toContain('callpermit_subscriptions{status="paused"} 1');
      // Paused: nothing more is tried.
      await new Promise((r) => setTimeout(r, 300));
      expect(subscriber.deliveries.length).toBe(attempts);
      // The subscriber is back; a resume sends everything from the cursor.
      subscriber.failFirst = 0;
      const resumed = await service.call('/v1/subscriptions/down/resume', { method: 'POST' });
      expect(await bodyOf(resumed)).toMatchObject({ status: 'active', failures: 0 });
      const all = await feedOf(service);
      await subscriber.waitFor(all.at(-1)?.seq as number);
      expect(subscriber.accepted()).toEqual(all);
      const after = await (await fetch(`${service.url}/metrics`)).text();
      expect(after).toContain('callpermit_subscription_paused{subscription="down"} 0');
      expect((await service.call('/v1/subscriptions/nope/resume', { method: 'POST' })).status).toBe(404);
    } finally {
      await service.close();
      await subscriber.close();
    }
  });

  it('waits longer after each failure, with jitter, never more than the cap', () => {
    const p = DEFAULT_DELIVERY_POLICY;
    expect([1, 2, 3, 4].map((f) => backoffSeconds(p, f, 0.999999))).toEqual([
      expect.closeTo(1, 5),
      expect.closeTo(2, 5),
      expect.closeTo(4, 5),
      expect.closeTo(8, 5),
    ]);
    expect(backoffSeconds(p, 3, 0)).toBe(2);
    expect(backoffSeconds(p, 40, 0.999999)).toBeCloseTo(p.maxBackoffSeconds, 1);
    // Retries go on for the whole day before the pause: many attempts, not a handful.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < p.giveUpSeconds) elapsed += backoffSeconds(p, ++attempts, 0.5);
    expect(attempts).toBeGreaterThan(20);
  });
});

describe('a backlog', () => {
  it('is sent batch after batch without waiting for the next round', async () => {
    const store = new MemoryFactStore();
    const engine = new Engine(store, { changeFeed: true });
    const source = { kind: 'test', ref: 'backlog' } as const;
    const at = nowSeconds();
    await engine.ingest(
      Array.from({ length: 60 }, (_, i): Fact => {
        const pair = { business: BUSINESS, user: `4477009460${String(i).padStart(2, '0')}` };
        return { type: 'UserMessaged', pair, at, key: `backlog:${i}`, source, messageId: `wamid.B${i}` };
      }),
    );
    const changes = await store.readChanges(0, 10_000);
    expect(changes.length).toBeGreaterThanOrEqual(60);
    const subscriber = await Subscriber.start();
    // One round at start and the next a minute later: only sending on after a batch drains it now.
    const runner = await startFeedRunner({
      engine,
      subscriptions: new MemorySubscriptions(store),
      fileSubscriptions: [
        { id: 'late', url: subscriber.url, secret: SUB_SECRET, businesses: null, kinds: null, after: 0 },
      ],
      metrics: new Metrics(),
      log: pino({ level: 'silent' }),
      materialiseEveryMs: 60_000,
      deliverEveryMs: 60_000,
      delivery: { batch: 7 },
    });
    try {
      await subscriber.waitFor(changes.at(-1)?.seq as number, 10_000);
      expect(subscriber.accepted().map((c) => c.seq)).toEqual(changes.map((c) => c.seq));
    } finally {
      await runner.stop();
      await subscriber.close();
    }
  });
});

describe('CALLPERMIT_SUBSCRIPTIONS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callpermit-subs-'));
  const write = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('reads the bodies POST /v1/subscriptions takes, each with an id', async () => {
    const file = write('ok.json', [
      { id: 'crm', url: 'https://crm.example.com/hook', secret: SUB_SECRET, business: BUSINESS, after: 0 },
      { id: 'dialer', url: 'http://127.0.0.1:9/d', secret: SUB_SECRET, kinds: ['call_limit.released'] },
    ]);
    expect(await readSubscriptionsFile(file)).toEqual([
      {
        id: 'crm',
        url: 'https://crm.example.com/hook',
        secret: SUB_SECRET,
        businesses: [BUSINESS],
        kinds: null,
        after: 0,
      },
      {
        id: 'dialer',
        url: 'http://127.0.0.1:9/d',
        secret: SUB_SECRET,
        businesses: null,
        kinds: ['call_limit.released'],
      },
    ]);
  });

  it('names the entry, the field and the reason when it cannot be used', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['missing.json', undefined, /missing\.json: ENOENT/],
      ['bad.json', '{not json', /bad\.json: .*JSON/],
      ['object.json', { id: 'x' }, /expected an array/],
      ['noid.json', [{ url: 'http://127.0.0.1:9/h', secret: SUB_SECRET }], /entry 1: field id/],
      [
        'secret.json',
        [
          { id: 'a', url: 'http://127.0.0.1:9/h', secret: SUB_SECRET },
          { id: 'b', url: 'http://127.0.0.1:9/h', secret: 'short' },
        ],
        /entry 2: field secret/,
      ],
      [
        'twice.json',
        [
          { id: 'a', url: 'http://127.0.0.1:9/h', secret: SUB_SECRET },
          { id: 'a', url: 'http://127.0.0.1:9/h', secret: SUB_SECRET },
        ],
        /entry 2: id "a" appears twice/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const file = content === undefined ? join(dir, name) : write(name, content);
      const error = await readSubscriptionsFile(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpConfigError);
      expect((error as Error).message).toMatch(/^CALLPERMIT_SUBSCRIPTIONS_FILE /);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describeWithPostgres('two instances on one PostgreSQL', (newDatabase) => {
  let stores: SqlStore[] = [];
  let subscriber: Subscriber;
  afterAll(async () => {
    await subscriber?.close();
    for (const s of stores) await s.close();
  });

  it('deliver each change once between them, in order', async () => {
    const url = await newDatabase();
    stores = [await openStore({ databaseUrl: url }), await openStore({ databaseUrl: url })];
    subscriber = await Subscriber.start();
    const log = pino({ level: 'silent' });
    const engines = stores.map((s) => new Engine(s, { changeFeed: true }));
    const metrics = [new Metrics(), new Metrics()];
    const runners = await Promise.all(
      engines.map((engine, i) =>
        startFeedRunner({
          engine,
          subscriptions: (stores[i] as SqlStore).subscriptions,
          // Both read the same file; its subscription is made once.
          fileSubscriptions: [
            { id: 'crm', url: subscriber.url, secret: SUB_SECRET, businesses: null, kinds: null, after: 0 },
          ],
          metrics: metrics[i] as Metrics,
          log,
          materialiseEveryMs: 50,
          deliverEveryMs: 10,
          delivery: { ...QUICK, batch: 3 },
        }),
      ),
    );
    expect(runners[0]?.owner).not.toBe(runners[1]?.owner);
    // Facts arrive at both instances, many pairs, with grants that expire while the test runs.
    const at = nowSeconds();
    const facts = (i: number): Fact[] => {
      const pair = { business: BUSINESS, user: `4477009450${String(i).padStart(2, '0')}` };
      const source = { kind: 'test', ref: 'two' } as const;
      return [
        { type: 'UserMessaged', pair, at, key: `two:m${i}`, source, messageId: `wamid.TWO${i}` },
        {
          type: 'PermissionGranted',
          pair,
          at: at + 1,
          key: `two:g${i}`,
          source,
          permanent: false,
          expiresAt: at + 6,
          via: 'profile',
        },
      ];
    };
    for (let i = 0; i < 20; i++) await (engines[i % 2] as Engine).ingest(facts(i));
    const all = async () => {
      const out = [];
      for (let after = 0; ; ) {
        const page = await (stores[0] as SqlStore).readChanges(after, 1000);
        if (page.length === 0) return out;
        out.push(...page);
        after = page.at(-1)?.seq as number;
      }
    };
    const deliveredBy = () =>
      Promise.all(
        metrics.map(
          async (m) =>
            (await m.deliveries.get()).values.find((v) => v.labels.result === 'delivered')?.value ?? 0,
        ),
      );
    // The facts' changes go to whichever instance claims the subscription first, batch after batch. Once they
    // are delivered, the instance that delivered more stops: the expiries are then the other one's to
    // materialise and deliver, so each instance takes part, whichever way the race went.
    const told = await all();
    expect(told.filter((c) => c.kind === 'permission.expired')).toHaveLength(0);
    await subscriber.waitFor(told.at(-1)?.seq as number);
    const [first, second] = await deliveredBy();
    const busier = (first as number) >= (second as number) ? 0 : 1;
    await runners[busier]?.stop();
    const deadline = Date.now() + 30_000;
    let changes = await all();
    while (Date.now() < deadline && changes.filter((c) => c.kind === 'permission.expired').length < 20) {
      await new Promise((r) => setTimeout(r, 100));
      changes = await all();
    }
    expect(changes.filter((c) => c.kind === 'permission.expired')).toHaveLength(20);
    await subscriber.waitFor(changes.at(-1)?.seq as number);
    await runners[1 - busier]?.stop();
    const received = subscriber.accepted().map((c) => c.seq);
    expect(received).toEqual(changes.map((c) => c.seq));
    expect(new Set(received).size).toBe(received.length);
    // Both took part: each counted some of the deliveries, and together all of them.
    const delivered = await deliveredBy();
    expect(delivered.every((n) => n > 0)).toBe(true);
    expect(delivered.reduce((a, b) => a + b, 0)).toBe(subscriber.deliveries.length);
  });
});
