// A real Graph SDK (whatsapp-api-js 6) pointed at callpermit: only its fetch is replaced, by one that sends
// Meta's URLs to the service. Its permission requests, templates and calls go through the guard; refusals come
// back as Meta's errors; the SDK's own token (a callpermit API token) never reaches the Graph API.

import { FakeGraph } from '@callpermit/testing/graph';
import { BUSINESS, payloadOf, reply, USER, userText, WABA } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppAPI } from 'whatsapp-api-js';
import { ActionCallPermission, Body, Interactive, Language, Template } from 'whatsapp-api-js/messages';
import { META_TOKEN, nowSeconds, startService, type TestService, TOKEN } from './test/service.js';

let fake: FakeGraph;
let service: TestService;
let sdk: WhatsAppAPI;

beforeAll(async () => {
  fake = await FakeGraph.start();
  service = await startService({ store: 'memory', graph: { url: fake.url, token: META_TOKEN } });
  sdk = new WhatsAppAPI({
    token: TOKEN,
    appSecret: 'not-used-here',
    v: 'v23.0',
    ponyfill: {
      fetch: (url: URL | string | Request, init?: RequestInit) =>
        fetch(String(url).replace('https://graph.facebook.com', service.url), init),
    },
  });
});
afterAll(async () => {
  await service?.close();
  await fake?.close();
});

type Answer = { error?: { code: number }; messages?: { id: string }[]; calls?: { id: string }[] };
const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n';

describe('whatsapp-api-js through callpermit', () => {
  it('a call before any permission is refused with Meta’s 138006; after a grant it is forwarded (the SDK drops the version)', async () => {
    const refused = (await sdk.initiateCall(BUSINESS, USER, SDP)) as Answer;
    expect(refused.error?.code).toBe(138006);
    expect(fake.on('calls')).toEqual([]);
    const at = nowSeconds() - 60;
    await service.deliver(
      payloadOf(
        reply('wamid.SDKGRANT', at, { response: 'accept', permanent: false, expiration: at + 86_400 }),
      ),
    );
    const allowed = (await sdk.initiateCall(BUSINESS, USER, SDP)) as Answer;
    expect(allowed.calls?.[0]?.id).toMatch(/^wacid\./);
    expect(fake.on('calls')).toHaveLength(1);
    expect(fake.on('calls')[0]).toMatchObject({
      url: `/${BUSINESS}/calls`,
      headers: { authorization: `Bearer ${META_TOKEN}` },
    });
  });

  it('an interactive permission request is sent once, the second within 24 h gets Meta’s 138009', async () => {
    const user = '447700911111';
    await service.deliver(payloadOf(userText('wamid.SDKIN', nowSeconds() - 30, user)));
    const message = new Interactive(
      new ActionCallPermission(),
      new Body('May we call you about your order?'),
    );
    const first = (await sdk.sendMessage(BUSINESS, user, message)) as Answer;
    expect(first.messages?.[0]?.id).toMatch(/^wamid\./);
    const second = (await sdk.sendMessage(BUSINESS, user, message)) as Answer;
    expect(second.error?.code).toBe(138009);
    expect(fake.on('messages').filter((r) => r.body.includes(user))).toHaveLength(1);
    expect(fake.on('messages')[0]?.url).toBe(`/v23.0/${BUSINESS}/messages`);
  });

  it('a permission template is guarded once callpermit knows it; an ordinary template is not', async () => {
    const user = '447700922222';
    const created = await fetch(`${service.url}/v23.0/${WABA}/message_templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'sdk_call_permission',
        language: 'en_US',
        category: 'MARKETING',
        components: [{ type: 'body', text: 'May we call?' }, { type: 'call_permission_request' }],
      }),
    });
    expect(created.status).toBe(200);
    const permission = new Template('sdk_call_permission', new Language('en_US'));
    expect(((await sdk.sendMessage(BUSINESS, user, permission)) as Answer).messages).toHaveLength(1);
    expect(((await sdk.sendMessage(BUSINESS, user, permission)) as Answer).error?.code).toBe(138009);
    const ordinary = new Template('order_update', new Language('en_US'));
    for (let i = 0; i < 2; i++)
      expect(((await sdk.sendMessage(BUSINESS, user, ordinary)) as Answer).messages).toHaveLength(1);
  });
});
