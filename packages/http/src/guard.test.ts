// The guard over real loopback HTTP: a permission request or connect call is decided against the policy before
// anything reaches the (fake) Graph API, which records what it received. Refused: Meta's error, nothing sent.
// Allowed: forwarded with callpermit's Meta token, Meta's answer verbatim, the exchange recorded.
import { policyBook } from '@callpermit/core';
import type { SqlStore } from '@callpermit/store';
import { FakeGraph } from '@callpermit/testing/graph';
import { rawRequest } from '@callpermit/testing/socket';
import {
  BUSINESS,
  freeFormRequestBody,
  payloadOf,
  reply,
  templateSendBody,
  USER,
  userText,
  WABA,
} from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
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
/** One connected call a day, so a second call is refused while the first holds its place. */
let strict: TestService;

beforeAll(async () => {
  fake = await FakeGraph.start();
  service = await startService({ store: 'pglite', graph: { url: fake.url, token: META_TOKEN } });
  strict = await startService({
    store: 'memory',
    graph: { url: fake.url, token: META_TOKEN, timeoutMs: 400 },
    policy: policyBook({ connectedCallLimits: [{ periodSeconds: 86_400, maxAllowed: 1 }] }),
  });
});
afterAll(async () => {
  await service?.close();
  await strict?.close();
  await fake?.close();
});

let users = 0;
/** A user of its own for each test (pairs never share state). */
const newUser = () => `4477009${String(++users).padStart(5, '0')}`;
const connect = (user: string) => ({
  messaging_product: 'whatsapp',
  to: user,
  action: 'connect',
  session: {},
});
async function grant(to: TestService, user: string, permanent = false): Promise<void> {
  const at = nowSeconds() - 60;
  const body = payloadOf(
    reply(
      `wamid.G${user}${permanent}`,
      at,
      permanent
        ? { response: 'accept', permanent: true }
        : { response: 'accept', permanent: false, expiration: at + 6 * 86_400 },
      user,
    ),
  );
  expect((await to.deliver(body)).status).toBe(200);
}

async function openWindow(to: TestService, user: string): Promise<void> {
  expect((await to.deliver(payloadOf(userText(`wamid.W${user}`, nowSeconds() - 30, user)))).status).toBe(200);
}

const reached = (edge: string, user: string) => fake.on(edge).filter((r) => r.body.includes(user));

async function metric(to: TestService, line: string): Promise<number> {
  const text = await to.metrics.registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.slice(line.length).trim());
}

describe('connect calls', () => {
  it('refused without permission: 401 with 138006, and nothing reaches the Graph API', async () => {
    const user = newUser();
    const answer = await postJson(service, `/v23.0/${BUSINESS}/calls`, connect(user));
    expect(answer.status).toBe(401);
    expect((await bodyOf(answer)).error).toMatchObject({ code: 138006, type: 'OAuthException' });
    expect(reached('calls', user)).toEqual([]);
    expect(
      await metric(service, 'callpermit_guard_decisions_total{result="refused",code="138006"}'),
    ).toBeGreaterThan(0);
  });

  it('allowed: forwarded with callpermit’s Meta token (never the caller’s), Meta’s answer verbatim, the call recorded', async () => {
    const user = newUser();
    await grant(service, user);
    const answer = await postJson(service, `/v23.0/${BUSINESS}/calls`, connect(user));
    expect(answer.status).toBe(200);
    const [upstream] = reached('calls', user);
    expect(upstream?.url).toBe(`/v23.0/${BUSINESS}/calls`);
    expect(upstream?.headers.authorization).toBe(`Bearer ${META_TOKEN}`);
    expect(JSON.stringify(upstream?.headers)).not.toContain(TOKEN);
    const text = await answer.text();
    const callId = JSON.parse(text).calls[0].id as string;
    expect(text).toBe(JSON.stringify({ messaging_product: 'whatsapp', calls: [{ id: callId }] }));
    const state = await service.engine.state({ business: BUSINESS, user }, nowSeconds());
    expect(state.calls.get(callId)?.attemptedAt).not.toBeNull();
    const kept = [];
    for await (const entry of (service.store as SqlStore).inbox.iterate())
      if (entry.body.includes(callId)) kept.push(entry);
    expect(kept).toMatchObject([{ source: { file: 'graph' }, outcome: 'applied' }]);
  });

  it('138012 at the connected-call limit, with the instant the next call is allowed', async () => {
    const user = newUser();
    await grant(strict, user);
    expect((await postJson(strict, `/${BUSINESS}/calls`, connect(user))).status).toBe(200);
    const refused = await postJson(strict, `/${BUSINESS}/calls`, connect(user));
    expect(refused.status).toBe(400);
    const error = (await bodyOf(refused)).error;
    expect(error.code).toBe(138012);
    expect(error.error_data.details).toMatch(/the next one is allowed at \d{4}-\d\d-\d\dT.*Z \(\d+\)$/);
    expect(reached('calls', user)).toHaveLength(1);
  });

  it('concurrent connects of which only one may pass: exactly one reaches the Graph API', async () => {
    const user = newUser();
    await grant(strict, user);
    fake.delayMs = 100;
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => postJson(strict, `/v23.0/${BUSINESS}/calls`, connect(user))),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    } finally {
      fake.delayMs = 0;
    }
    expect(reached('calls', user)).toHaveLength(1);
  });

  it('upstream down (502) or slow (504): a Graph-style error, and the attempt does not count', async () => {
    const user = newUser();
    await grant(strict, user);
    fake.down = true;
    try {
      const down = await postJson(strict, `/${BUSINESS}/calls`, connect(user));
      expect(down.status).toBe(502);
      expect((await bodyOf(down)).error.code).toBe(2);
    } finally {
      fake.down = false;
    }
    fake.delayMs = 1000;
    try {
      const slow = await postJson(strict, `/${BUSINESS}/calls`, connect(user));
      expect(slow.status).toBe(504);
      expect((await bodyOf(slow)).error.message).toMatch(/did not answer within 400 ms/);
    } finally {
      fake.delayMs = 0;
    }
    // Neither counted: with one call a day, the next is still allowed.
    expect((await postJson(strict, `/${BUSINESS}/calls`, connect(user))).status).toBe(200);
    expect(await metric(strict, 'callpermit_upstream_requests_total{status="timeout"}')).toBeGreaterThan(0);
  });

  it('spellings Meta would read the same are guarded the same: trailing slash, case, doubled slashes', async () => {
    const user = newUser();
    for (const path of [`/v23.0/${BUSINESS}/calls/`, `//${BUSINESS}//Calls`, `/v1/${BUSINESS}/CALLS`]) {
      const answer = await postJson(service, path, connect(user));
      expect(answer.status, path).toBe(401);
      expect((await bodyOf(answer)).error.code, path).toBe(138006);
    }
    expect(reached('calls', user)).toEqual([]);
  });

  it('dot segments, raw on the wire (`..`, `.`, `%2e%2e`), are resolved before anything is decided: the guard and a token’s scope see the path Meta would', async () => {
    const user = newUser();
    const before = fake.received.length;
    for (const dots of ['..', '%2e%2e', '%2E%2E']) {
      const walked = await rawRequest(service.url, `/v23.0/${OTHER_BUSINESS}/${dots}/${BUSINESS}/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(connect(user)),
      });
      expect(walked.status).toBe(401);
      expect(JSON.parse(walked.text).error.code).toBe(138006);
      const scoped = await rawRequest(service.url, `/v23.0/${BUSINESS}/${dots}/${OTHER_BUSINESS}/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SCOPED_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(connect(user)),
      });
      expect(scoped.status).toBe(403);
    }
    const dot = await rawRequest(service.url, `/v23.0/${BUSINESS}/./calls/%2e`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(connect(user)),
    });
    expect(dot.status).toBe(401);
    expect(fake.received.length).toBe(before);
  });

  it('`to` as a JSON number (Meta types it Integer) is decided like the text: refused without permission', async () => {
    const user = newUser();
    const answer = await postJson(service, `/v23.0/${BUSINESS}/calls`, {
      ...connect(user),
      to: Number(user),
    });
    expect(answer.status).toBe(401);
    expect((await bodyOf(answer)).error.code).toBe(138006);
    expect(reached('calls', user)).toEqual([]);
  });

  it('a connect whose recipient cannot be read is refused with 400 (#100), never forwarded undecided', async () => {
    const user = newUser();
    for (const body of [
      { ...connect(user), to: { number: user } },
      { messaging_product: 'whatsapp', action: 'connect', note: user },
      { ...connect(user), to: undefined, recipient: `not a user ${user}` },
    ]) {
      const answer = await postJson(service, `/v23.0/${BUSINESS}/calls`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((await bodyOf(answer)).error.code).toBe(100);
    }
    expect(fake.on('calls').filter((r) => r.body.includes(user))).toEqual([]);
  });

  it('other call actions (terminate) are forwarded untouched, not decided', async () => {
    const user = newUser();
    const body = { messaging_product: 'whatsapp', call_id: `wacid.T${user}`, action: 'terminate' };
    const answer = await postJson(service, `/${BUSINESS}/calls`, body);
    expect(answer.status).toBe(200);
    expect(await bodyOf(answer)).toEqual({ success: true });
    expect(fake.received.at(-1)?.body).toBe(JSON.stringify(body));
  });
});

describe('permission requests', () => {
  it('free-form: allowed in the window, then 138009 at 1 per 24 h with when the next is allowed', async () => {
    const user = newUser();
    await openWindow(service, user);
    const first = await postJson(service, `/v23.0/${BUSINESS}/messages`, freeFormRequestBody(user));
    expect(first.status).toBe(200);
    const messageId = (await bodyOf(first)).messages[0].id;
    const state = await service.engine.state({ business: BUSINESS, user }, nowSeconds());
    expect(state.requests.get(messageId)).toMatchObject({ channel: 'free_form', tentative: false });
    const second = await postJson(service, `/v23.0/${BUSINESS}/messages`, freeFormRequestBody(user));
    expect(second.status).toBe(400);
    expect((await bodyOf(second)).error).toMatchObject({
      code: 138009,
      error_data: { messaging_product: 'whatsapp' },
    });
    expect(reached('messages', user)).toHaveLength(1);
  });

  it('free-form outside the customer-service window: 131047; a permanent permission: 138017', async () => {
    const user = newUser();
    const closed = await postJson(service, `/${BUSINESS}/messages`, freeFormRequestBody(user));
    expect((await bodyOf(closed)).error.code).toBe(131047);
    const permanent = newUser();
    await grant(service, permanent, true);
    await openWindow(service, permanent);
    const again = await postJson(service, `/${BUSINESS}/messages`, freeFormRequestBody(permanent));
    expect(again.status).toBe(400);
    expect((await bodyOf(again)).error.code).toBe(138017);
    expect([...reached('messages', user), ...reached('messages', permanent)]).toEqual([]);
  });

  it('a template created through callpermit with the permission component makes its sends guarded at once', async () => {
    const user = newUser();
    const name = `callback_${user}`;
    // Unknown template: an ordinary message, forwarded.
    expect(
      (await postJson(service, `/v23.0/${BUSINESS}/messages`, templateSendBody(name, user))).status,
    ).toBe(200);
    const created = await service.call(`/v23.0/${WABA}/message_templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SCOPED_TOKEN}` },
      body: JSON.stringify({
        name,
        language: 'en_US',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'May we call you?' }, { type: 'call_permission_request' }],
      }),
    });
    expect(created.status).toBe(200);
    const other = newUser();
    expect(
      (await postJson(service, `/v23.0/${BUSINESS}/messages`, templateSendBody(name, other))).status,
    ).toBe(200);
    const refused = await postJson(service, `/v23.0/${BUSINESS}/messages`, templateSendBody(name, other));
    expect((await bodyOf(refused)).error.code).toBe(138009);
    expect(reached('messages', other)).toHaveLength(1);
  });

  it('a free-form request whose `to` cannot be read is refused with 400 (#100) and not forwarded', async () => {
    const user = newUser();
    await openWindow(service, user);
    const body = { ...freeFormRequestBody(user), to: [user] };
    const answer = await postJson(service, `/v23.0/${BUSINESS}/messages`, body);
    expect(answer.status).toBe(400);
    expect((await bodyOf(answer)).error).toMatchObject({ code: 100 });
    expect(reached('messages', user)).toEqual([]);
  });

  it('a permission request sent as a form is refused (it could not be decided), and not forwarded', async () => {
    const user = newUser();
    const answer = await service.call(`/${BUSINESS}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `to=${user}&type=interactive`,
    });
    expect([400, 415]).toContain(answer.status);
    expect((await bodyOf(answer)).error.code).toBe(100);
    expect(reached('messages', user)).toEqual([]);
  });
});

describe('calling not enabled (138000)', () => {
  it('after a settings webhook turning calling off, calls and requests are refused with 401 138000', async () => {
    const off = await startService({ store: 'memory', graph: { url: fake.url, token: META_TOKEN } });
    try {
      const user = USER;
      await grant(off, user);
      const at = nowSeconds() - 10;
      const settings = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: WABA,
            changes: [
              {
                field: 'account_settings_update',
                value: {
                  timestamp: String(at),
                  type: 'phone_number_settings',
                  phone_number_settings: { phone_number_id: BUSINESS, calling: { status: 'DISABLED' } },
                },
              },
            ],
          },
        ],
      });
      expect(await bodyOf(await off.deliver(settings))).toEqual({ outcome: 'applied' });
      const call = await postJson(off, `/${BUSINESS}/calls`, connect(user));
      expect(call.status).toBe(401);
      expect((await bodyOf(call)).error.code).toBe(138000);
      const view = await bodyOf(await off.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${user}`));
      expect(view.actions.map((a: { can_perform_action: boolean }) => a.can_perform_action)).toEqual([
        false,
        false,
      ]);
    } finally {
      await off.close();
    }
  });
});
