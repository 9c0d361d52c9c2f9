// The change feed of `callpermit serve` as a real process (the built CLI): a subscriber from the subscriptions
// file, failing its first three deliveries, receives every change exactly as `GET /v1/changes` lists it, across
// a SIGTERM and a restart — the expiry that falls due while `serve` is down included.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookSignature } from '@callpermit/cloud-api';
import { refusedServe, type ServeProcess, startServe } from '@callpermit/testing/serve';
import { payloadOf, reply, userText } from '@callpermit/testing/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { nowSeconds, SECRET, TOKEN } from './test/service.js';
import { listedFeed, Subscriber, type WireChange } from './test/subscriber.js';

const SUB_SECRET = 'subscriber-secret-0123';

const deliver = (instance: ServeProcess, body: string) =>
  fetch(`${instance.url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': webhookSignature(body, SECRET) },
    body,
  });

const feedOf = (instance: ServeProcess) => listedFeed(instance.url, TOKEN);

/** The feed once `done` holds of it (polling, bounded). */
async function feedWhen(
  instance: ServeProcess,
  done: (feed: WireChange[]) => boolean,
  timeoutMs = 30_000,
): Promise<WireChange[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const feed = await feedOf(instance);
    if (done(feed)) return feed;
    if (Date.now() > deadline)
      throw new Error(`the feed never got there: ${JSON.stringify(feed.map((c) => c.kind))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const expiredFor = (user: string) => (feed: WireChange[]) =>
  feed.some((c) => c.kind === 'permission.expired' && c.user === user);

describe('serve delivers the change feed to webhook subscribers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callpermit-feed-'));
  let subscriber: Subscriber;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.stop();
    await subscriber?.close();
  });

  it('every change exactly as the feed lists it, across a restart, to a subscriber that fails its first three deliveries', async () => {
    subscriber = await Subscriber.start(3);
    const file = join(dir, 'subscriptions.json');
    writeFileSync(file, JSON.stringify([{ id: 'crm', url: subscriber.url, secret: SUB_SECRET, after: 0 }]));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CALLPERMIT_APP_SECRET: SECRET,
      CALLPERMIT_API_TOKENS: TOKEN,
      CALLPERMIT_GRAPH_URL: 'http://127.0.0.1:9',
      CALLPERMIT_LOG_LEVEL: 'warn',
      CALLPERMIT_DATABASE_URL: '',
      CALLPERMIT_SUBSCRIPTIONS_FILE: file,
    };
    const args = ['--db', join(dir, 'db')];
    serve = await startServe(args, env);
    const first = nowSeconds();
    // A grant that expires 6 s from now: serve will be down when it does.
    const grant = reply(
      'wamid.FP1',
      first,
      { response: 'accept', permanent: false, expiration: first + 6 },
      '447700955501',
    );
    expect((await deliver(serve, payloadOf(grant))).status).toBe(200);
    expect((await deliver(serve, payloadOf(userText('wamid.FP2', first, '447700955502')))).status).toBe(200);
    const before = await feedOf(serve);
    expect(before.length).toBeGreaterThan(0);
    await subscriber.waitFor(before.at(-1)?.seq as number);
    expect(subscriber.deliveries.slice(0, 4).map((d) => d.status)).toEqual([500, 500, 500, 200]);
    expect(await serve.stop()).toBe(0);
    serve = undefined;

    // Down past the expiry; the restarted serve materialises it and delivers it, and what comes after.
    await new Promise((r) => setTimeout(r, Math.max(0, (first + 7) * 1000 - Date.now())));
    serve = await startServe(args, env);
    const second = nowSeconds();
    const again = reply(
      'wamid.FP3',
      second,
      { response: 'accept', permanent: false, expiration: second + 2 },
      '447700955503',
    );
    expect((await deliver(serve, payloadOf(again))).status).toBe(200);
    const feed = await feedWhen(serve, (f) => expiredFor('447700955501')(f) && expiredFor('447700955503')(f));
    await subscriber.waitFor(feed.at(-1)?.seq as number);
    expect(subscriber.accepted()).toEqual(feed);
    const expiry = feed.find((c) => c.kind === 'permission.expired' && c.user === '447700955501');
    expect(expiry).toMatchObject({ at: first + 6, cause: { kind: 'time' } });
    // The subscription kept its cursor across the restart: nothing was sent twice. (Its cursor moves once the
    // subscriber's 200 is back at serve, a moment after the subscriber has counted the delivery.)
    const url = `${serve.url}/v1/subscriptions`;
    const subscriptions = async () => {
      const status = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      return ((await status.json()) as { data: unknown[] }).data;
    };
    await expect.poll(subscriptions, { timeout: 10_000 }).toEqual([
      expect.objectContaining({
        id: 'crm',
        origin: 'file',
        status: 'active',
        delivered: feed.length,
        cursor: feed.at(-1)?.seq,
      }),
    ]);
    expect(await serve.stop()).toBe(0);
    serve = undefined;
  });
});

describe('serve refuses to start', () => {
  it('with a subscriptions file it cannot use, naming the entry, the field and why', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'callpermit-feed-')), 'subscriptions.json');
    writeFileSync(file, JSON.stringify([{ id: 'crm', url: 'http://127.0.0.1:9/h', secret: 'short' }]));
    const { code, output } = await refusedServe(['--db', 'memory://'], {
      ...process.env,
      CALLPERMIT_APP_SECRET: SECRET,
      CALLPERMIT_API_TOKENS: TOKEN,
      CALLPERMIT_DATABASE_URL: '',
      CALLPERMIT_SUBSCRIPTIONS_FILE: file,
    });
    expect(code).toBe(1);
    expect(output).toMatch(
      /^callpermit: CALLPERMIT_SUBSCRIPTIONS_FILE \S+subscriptions\.json: entry 1: field secret: /,
    );
  });
});
