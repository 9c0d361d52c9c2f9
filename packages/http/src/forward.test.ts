// Everything the proxy forwards without deciding: any method and Graph path, Meta's answer verbatim (errors
// and redirects included), the version segment kept or not, callpermit's Meta token per business, and
// `?verify=meta` comparing Meta's own call_permissions with callpermit's state.

import { FakeGraph } from '@callpermit/testing/graph';
import { BUSINESS, payloadOf, reply, USER, WABA } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
  META_TOKEN,
  nowSeconds,
  postJson,
  startService,
  type TestService,
  TOKEN,
} from './test/service.js';

let fake: FakeGraph;
let service: TestService;

beforeAll(async () => {
  fake = await FakeGraph.start();
  service = await startService({ store: 'memory', graph: { url: fake.url, token: META_TOKEN } });
});
afterAll(async () => {
  await service?.close();
  await fake?.close();
});

const last = () => fake.received.at(-1);

describe('forwarded Graph calls', () => {
  it('any method and path: forwarded with the query, answered with Meta’s status, headers that matter and body', async () => {
    fake.respond = () => ({
      status: 400,
      headers: { 'x-fb-trace-id': 'Abc123', 'x-business-use-case-usage': '{"1":[]}', 'x-internal': 'no' },
      body: '{"error":{"message":"(#100) Invalid parameter","code":100}}',
    });
    try {
      const answer = await service.call(`/v23.0/${BUSINESS}?fields=verified_name,quality_rating`);
      expect(answer.status).toBe(400);
      expect(await answer.text()).toBe('{"error":{"message":"(#100) Invalid parameter","code":100}}');
      expect(answer.headers.get('x-fb-trace-id')).toBe('Abc123');
      expect(answer.headers.get('x-business-use-case-usage')).toBe('{"1":[]}');
      expect(answer.headers.get('x-internal')).toBeNull();
      // Meta's answer is handed back as it came, with our request id added.
      expect(answer.headers.get('x-request-id')).toMatch(/^[\w.:-]{1,64}$/);
      expect(last()).toMatchObject({
        method: 'GET',
        url: `/v23.0/${BUSINESS}?fields=verified_name%2Cquality_rating`,
      });
      const removed = await service.call(`/v23.0/${BUSINESS}/block_users`, { method: 'DELETE' });
      expect(removed.status).toBe(400);
      expect(last()).toMatchObject({ method: 'DELETE', url: `/v23.0/${BUSINESS}/block_users` });
    } finally {
      fake.respond = (await import('@callpermit/testing/graph')).metaLike;
    }
  });

  it('keeps the caller’s version segment; /v1/ and bare paths are forwarded without one', async () => {
    const send = { messaging_product: 'whatsapp', to: USER, type: 'text', text: { body: 'hi' } };
    for (const [path, upstream] of [
      [`/v21.0/${BUSINESS}/messages`, `/v21.0/${BUSINESS}/messages`],
      [`/v1/${BUSINESS}/messages`, `/${BUSINESS}/messages`],
      [`/${BUSINESS}/messages`, `/${BUSINESS}/messages`],
    ] as const) {
      expect((await postJson(service, path, send)).status).toBe(200);
      expect(last()?.url).toBe(upstream);
      expect(last()?.body).toBe(JSON.stringify(send));
    }
  });

  it('a base URL ending in a version: the caller’s version replaces it, a path without one keeps it', async () => {
    const versioned = await startService({
      store: 'memory',
      graph: { url: `${fake.url}/v20.0`, token: META_TOKEN },
    });
    try {
      await versioned.call(`/v23.0/${BUSINESS}/phone_numbers`);
      expect(last()?.url).toBe(`/v23.0/${BUSINESS}/phone_numbers`);
      await versioned.call(`/${BUSINESS}/phone_numbers`);
      expect(last()?.url).toBe(`/v20.0/${BUSINESS}/phone_numbers`);
    } finally {
      await versioned.close();
    }
  });

  it('a caller token given as access_token (as the Graph API allows) authenticates and never goes upstream', async () => {
    const answer = await fetch(
      `${service.url}/v23.0/${BUSINESS}/phone_numbers?fields=id&access_token=${TOKEN}`,
    );
    expect(answer.status).toBe(200);
    expect(last()?.url).toBe(`/v23.0/${BUSINESS}/phone_numbers?fields=id`);
    expect(last()?.headers.authorization).toBe(`Bearer ${META_TOKEN}`);
    expect(JSON.stringify(last())).not.toContain(TOKEN);
  });

  it('a JSON body nested deeper than 64 levels is refused with 400 before anything is forwarded; 64 are forwarded', async () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const before = fake.received.length;
    for (const path of [
      `/v23.0/${BUSINESS}/messages`,
      `/v23.0/${BUSINESS}/calls`,
      `/v23.0/${BUSINESS}/settings`,
    ]) {
      const deep = await service.call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"to":"${USER}","interactive":${nested(5000)}}`,
      });
      expect(deep.status).toBe(400);
      expect((await bodyOf(deep)).error.message).toBe('(#100) the JSON body nests deeper than 64 levels');
    }
    expect(fake.received.length).toBe(before);
    const fine = await service.call(`/v23.0/${BUSINESS}/settings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: nested(64),
    });
    expect(fine.status).toBe(200);
    expect(fake.received.length).toBe(before + 1);
  });

  it('a redirect is handed back, never followed', async () => {
    fake.respond = () => ({ status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' }, body: '' });
    try {
      const count = fake.received.length;
      const answer = await service.call(`/v23.0/${BUSINESS}/media_url`, { redirect: 'manual' });
      expect(answer.status).toBe(302);
      expect(answer.headers.get('location')).toBe('http://127.0.0.1:9/elsewhere');
      expect(fake.received.length).toBe(count + 1);
    } finally {
      fake.respond = (await import('@callpermit/testing/graph')).metaLike;
    }
  });

  it('a Meta token per business (phone number or WABA) from the tokens file; none at all is a 502', async () => {
    const perBusiness = await startService({
      store: 'memory',
      graph: {
        url: fake.url,
        tokens: new Map([
          [BUSINESS, 'meta-token-of-the-number'],
          [WABA, 'meta-token-of-the-waba'],
        ]),
      },
    });
    try {
      await perBusiness.call(`/v23.0/${BUSINESS}/phone_numbers`);
      expect(last()?.headers.authorization).toBe('Bearer meta-token-of-the-number');
      await postJson(perBusiness, `/v23.0/${WABA}/message_templates`, { name: 'x', components: [] });
      expect(last()?.headers.authorization).toBe('Bearer meta-token-of-the-waba');
      const count = fake.received.length;
      const none = await perBusiness.call('/v23.0/100000000000042/phone_numbers');
      expect(none.status).toBe(502);
      expect((await bodyOf(none)).error.message).toMatch(/no Meta access token for 100000000000042/);
      expect(fake.received.length).toBe(count);
    } finally {
      await perBusiness.close();
    }
  });
});

describe('GET call_permissions through the proxy', () => {
  it('is answered from callpermit’s state: Meta is not asked (no rate limit)', async () => {
    const count = fake.received.length;
    const answer = await service.call(`/v23.0/${BUSINESS}/call_permissions?user_wa_id=${USER}`);
    expect(answer.status).toBe(200);
    expect((await bodyOf(answer)).permission.status).toBe('no_permission');
    expect(fake.received.length).toBe(count);
  });

  it('verify=meta asks Meta, returns its answer verbatim, records it, and names each discrepancy', async () => {
    const at = nowSeconds() - 60;
    const ours = at + 6 * 86_400;
    await service.deliver(
      payloadOf(reply('wamid.VERIFY', at, { response: 'accept', permanent: false, expiration: ours })),
    );
    const metas = {
      messaging_product: 'whatsapp',
      permission: { status: 'temporary', expiration_time: ours + 3600 },
      actions: [
        {
          action_name: 'start_call',
          can_perform_action: true,
          limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }],
        },
      ],
    };
    fake.respond = () => ({ status: 200, body: metas });
    try {
      const answer = await service.call(`/v23.0/${BUSINESS}/call_permissions?user_wa_id=${USER}&verify=meta`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe(JSON.stringify(metas));
      expect(last()?.url).toBe(`/v23.0/${BUSINESS}/call_permissions?user_wa_id=${USER}`);
      expect(answer.headers.get('x-callpermit-discrepancies')).toBe(
        `permission.expiration_time: callpermit ${ours}, Meta ${ours + 3600}`,
      );
      const text = await service.metrics.registry.metrics();
      expect(text).toContain(
        'callpermit_permission_discrepancies_total{field="permission.expiration_time"} 1',
      );
      // Meta wins: the observation is in the log, and the state follows it.
      const view = await bodyOf(await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`));
      expect(view.permission.expiration_time).toBe(ours + 3600);
    } finally {
      fake.respond = (await import('@callpermit/testing/graph')).metaLike;
    }
  });

  it('verify takes only meta, and not together with at', async () => {
    expect(
      (await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}&verify=yes`)).status,
    ).toBe(400);
    expect(
      (await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}&verify=meta&at=1767168000`))
        .status,
    ).toBe(400);
  });
});
