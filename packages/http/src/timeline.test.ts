// The timeline page over real loopback HTTP: behind a token like the rest of /v1/ (the header, or
// `access_token` as the Graph API allows, so a browser can open it from a link), the same self-contained page
// `callpermit timeline` writes, with the guard's own refusals on it, and clean in a real headless Chromium.
import type { SqlStore } from '@callpermit/store';
import { type Browser, launch, openUrl } from '@callpermit/testing/browser';
import { FakeGraph } from '@callpermit/testing/graph';
import { BUSINESS, payloadOf, reply, USER } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  META_TOKEN,
  nowSeconds,
  OTHER_BUSINESS,
  postJson,
  SCOPED_TOKEN,
  startService,
  type TestService,
  TOKEN,
} from './test/service.js';

let fake: FakeGraph;
let service: TestService;
let browser: Browser;
const other = '447700900777';

beforeAll(async () => {
  fake = await FakeGraph.start();
  service = await startService({ store: 'pglite', graph: { url: fake.url, token: META_TOKEN } });
  const at = nowSeconds() - 3600;
  const granted = payloadOf(
    reply('wamid.TIMELINE1', at, { response: 'accept', permanent: false, expiration: at + 7 * 86_400 }, USER),
  );
  expect((await service.deliver(granted)).status).toBe(200);
  // A call the guard refuses (no permission for this user): kept in the inbox as the exchange it was.
  const refused = await postJson(service, `/v23.0/${BUSINESS}/calls`, {
    messaging_product: 'whatsapp',
    to: other,
    action: 'connect',
    session: {},
  });
  expect(refused.status).toBe(401);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await service?.close();
  await fake?.close();
});

const page = (user: string, extra = '') => `/v1/${BUSINESS}/timeline?user_wa_id=${user}${extra}`;

describe('GET /v1/{phone_number_id}/timeline', () => {
  it('answers the page with a token: the header or access_token; 401 without, 403 for another business', async () => {
    const answer = await service.call(page(USER));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await answer.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<img\b|<link\b(?![^>]*href="data:)|src="http|href="http/);

    const bare = await fetch(`${service.url}${page(USER)}`);
    expect(bare.status).toBe(401);
    const byQuery = await fetch(`${service.url}${page(USER, `&access_token=${TOKEN}`)}`);
    expect(byQuery.status).toBe(200);
    const wrong = await fetch(`${service.url}${page(USER, '&access_token=not-a-token-0123456789')}`);
    expect(wrong.status).toBe(401);

    const scoped = (business: string) =>
      fetch(`${service.url}/v1/${business}/timeline?user_wa_id=${USER}`, {
        headers: { authorization: `Bearer ${SCOPED_TOKEN}` },
      });
    expect((await scoped(BUSINESS)).status).toBe(200);
    expect((await scoped(OTHER_BUSINESS)).status).toBe(403);
  });

  it('400 with the reason for a bad user, instant or range', async () => {
    for (const path of [
      `/v1/${BUSINESS}/timeline`,
      page('44770090012a'),
      page(USER, '&since=yesterday'),
      page(USER, '&since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z'),
      `/v1/12x/timeline?user_wa_id=${USER}`,
    ]) {
      const answer = await service.call(path);
      expect(answer.status, path).toBe(400);
      expect(((await answer.json()) as { error: { code: number } }).error.code, path).toBe(100);
    }
  });

  it("shows the guard's own refusals, which the inbox keeps as the exchange the caller had", async () => {
    const kept = [];
    for await (const entry of (service.store as SqlStore).inbox.iterate())
      if (entry.source.file === 'guard') kept.push(entry);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ outcome: 'ignored' });
    expect(JSON.parse(kept[0]?.body ?? '{}')).toMatchObject({
      kind: 'api_call',
      request: { method: 'POST', body: { to: other, action: 'connect' } },
      response: { status: 401, body: { error: { code: 138006 } } },
    });
    const html = await (await service.call(page(other))).text();
    expect(html).toContain('138006');
    expect(fake.on('calls').filter((r) => r.body.includes(other))).toEqual([]);
  });

  it('opens in a real headless Chromium from its address: no console error, no other request, the marks drawn', async () => {
    const url = `${service.url}${page(USER, `&access_token=${TOKEN}`)}`;
    const { page: opened, errors } = await openUrl(browser, url);
    expect(await opened.locator('.band-temporary').count()).toBeGreaterThanOrEqual(1);
    expect(await opened.locator('#legend span').count()).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await opened.close();
  });
});
