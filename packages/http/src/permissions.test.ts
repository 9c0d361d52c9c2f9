// The permission API (GET call_permissions and its requests) over real loopback HTTP, mounted over a plain
// MemoryFactStore as an embedder would: facts, no inbox. Tokens, scopes and identifiers are checked first.
import { BUSINESS, reply, sendFreeForm, status, USER, userText } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
  nowSeconds,
  OTHER_BUSINESS,
  SCOPED_TOKEN,
  startService,
  type TestService,
} from './test/service.js';

let service: TestService;
const t = nowSeconds() - 3600;
const expiresAt = t + 100 + 6 * 86_400;

beforeAll(async () => {
  service = await startService({ store: 'memory' });
  // A user message opens the window; a request sent (the API log), delivered and accepted.
  const lines = [
    userText('wamid.IN1', t),
    sendFreeForm('wamid.REQ1', t + 10),
    status('wamid.REQ1', 'delivered', t + 20),
    reply('wamid.REP1', t + 100, {
      response: 'accept',
      context: 'wamid.REQ1',
      permanent: false,
      expiration: expiresAt,
    }),
  ];
  const answer = await service.call('/v1/captures', { method: 'POST', body: `${lines.join('\n')}\n` });
  expect(await bodyOf(answer)).toMatchObject({ lines: 4, applied: 4, rejected: 0 });
});
afterAll(async () => {
  await service?.close();
});

const permissions = (query: string, prefix = '/v1') =>
  service.call(`${prefix}/${BUSINESS}/call_permissions?${query}`);

describe('GET /v1/{phone_number_id}/call_permissions', () => {
  it('answers Meta’s body from the state: a temporary grant until its expiry, and the limits in use', async () => {
    const answer = await permissions(`user_wa_id=${USER}`);
    expect(answer.status).toBe(200);
    const body = await bodyOf(answer);
    expect(body.messaging_product).toBe('whatsapp');
    expect(body.permission).toEqual({ status: 'temporary', expiration_time: expiresAt });
    expect(body.actions[0]).toMatchObject({
      action_name: 'send_call_permission_request',
      limits: [
        { time_period: 'PT24H', max_allowed: 1, current_usage: 1 },
        { time_period: 'P7D', current_usage: 1 },
      ],
    });
    expect(body.actions[1]).toMatchObject({ action_name: 'start_call', can_perform_action: true });
  });

  it('at any instant: ISO-8601 or Unix seconds; before the grant there was none, after its expiry none again', async () => {
    const before = await bodyOf(await permissions(`user_wa_id=${USER}&at=${t + 50}`));
    expect(before.permission).toEqual({ status: 'no_permission' });
    const iso = new Date((t + 200) * 1000).toISOString();
    expect((await bodyOf(await permissions(`user_wa_id=${USER}&at=${iso}`))).permission.status).toBe(
      'temporary',
    );
    expect((await bodyOf(await permissions(`user_wa_id=${USER}&at=${expiresAt}`))).permission.status).toBe(
      'no_permission',
    );
  });

  it('an unknown pair answers as Meta would for a user who never granted', async () => {
    const body = await bodyOf(await permissions('user_wa_id=447700900999'));
    expect(body.permission).toEqual({ status: 'no_permission' });
    expect(body.actions.map((a: { can_perform_action: boolean }) => a.can_perform_action)).toEqual([
      true,
      false,
    ]);
  });

  it('Meta’s versioned and bare paths give the same answer (answered from state, not forwarded)', async () => {
    const mine = await bodyOf(await permissions(`user_wa_id=${USER}&at=${t + 200}`));
    for (const prefix of ['/v23.0', ''])
      expect(await bodyOf(await permissions(`user_wa_id=${USER}&at=${t + 200}`, prefix))).toEqual(mine);
  });

  it('GET …/call_permissions/requests lists the requests with their lifecycle', async () => {
    const answer = await service.call(
      `/v1/${BUSINESS}/call_permissions/requests?user_wa_id=${USER}&at=${t + 200}`,
    );
    expect(answer.status).toBe(200);
    expect(await bodyOf(answer)).toEqual({
      data: [
        {
          id: 'wamid.REQ1',
          state: 'accepted',
          channel: 'free_form',
          sent_at: t + 10,
          delivered_at: t + 20,
          answered_at: t + 100,
          expires_at: t + 100 + 7 * 86_400,
        },
      ],
    });
  });
});

describe('tokens and identifiers', () => {
  it('401 Graph-style without a token or with a wrong one, and the challenge header', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', 'Basic abc', `Bearer `]) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
      const answer = await fetch(`${service.url}/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`, {
        headers: authorization === undefined ? { authorization: '' } : headers,
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await bodyOf(answer)).error).toMatchObject({ code: 190, type: 'OAuthException' });
    }
  });

  it('a token limited to some numbers gets 403 on any other, the same answer whether the pair exists or not', async () => {
    const scoped = (business: string, user: string) =>
      service.call(`/v1/${business}/call_permissions?user_wa_id=${user}`, {
        headers: { authorization: `Bearer ${SCOPED_TOKEN}` },
      });
    expect((await scoped(BUSINESS, USER)).status).toBe(200);
    const other = await scoped(OTHER_BUSINESS, USER);
    const unknown = await scoped('100000000000001', '447700900555');
    expect([other.status, unknown.status]).toEqual([403, 403]);
    const [a, b] = [await bodyOf(other), await bodyOf(unknown)];
    expect({ ...a.error, fbtrace_id: '' }).toEqual({ ...b.error, fbtrace_id: '' });
    expect(a.error.code).toBe(10);
  });

  it('identifiers are digits only and bounded: 400 otherwise, before anything is read', async () => {
    const cases = [
      `/v1/10987654321098x/call_permissions?user_wa_id=${USER}`,
      `/v1/${'9'.repeat(33)}/call_permissions?user_wa_id=${USER}`,
      `/v1/${BUSINESS}/call_permissions?user_wa_id=44770090012a`,
      `/v1/${BUSINESS}/call_permissions?user_wa_id=${'4'.repeat(21)}`,
      `/v1/${BUSINESS}/call_permissions`,
      `/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}&at=yesterday`,
      `/v1/${BUSINESS}/call_permissions?recipient=${encodeURIComponent('US.1 2')}`,
      `/v23.0/${BUSINESS}x/messages`,
    ];
    for (const path of cases) {
      const answer = await service.call(path, path.endsWith('messages') ? { method: 'POST' } : {});
      expect(answer.status, path).toBe(400);
      expect((await bodyOf(answer)).error.code, path).toBe(100);
    }
  });

  it('a business-scoped user id (recipient) names a pair too', async () => {
    const answer = await permissions('recipient=US.13491208655302741918');
    expect(answer.status).toBe(200);
    expect((await bodyOf(answer)).permission.status).toBe('no_permission');
  });
});
