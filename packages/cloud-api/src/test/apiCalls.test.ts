import { describe, expect, it } from 'vitest';
import { Translator } from '../index.js';
import {
  apiCall,
  BUSINESS,
  CALL_ID,
  freeFormRequest,
  pair,
  REQUEST_ID,
  sendResponse,
  T,
  templateSend,
  USER,
  WABA,
} from './meta.js';

const source = { kind: 'api_call', ref: 'log:7' } as const;

describe('logged Graph API calls', () => {
  it('a free-form permission request send is a RequestSent with the message id Meta returned', () => {
    const call = apiCall(
      'POST',
      `/v23.0/${BUSINESS}/messages`,
      freeFormRequest,
      200,
      sendResponse(REQUEST_ID),
    );
    expect(new Translator().apiCall(call, 'log:7')).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'RequestSent',
          pair,
          at: T,
          key: `api:request:${REQUEST_ID}`,
          source,
          requestId: REQUEST_ID,
          channel: 'free_form',
          tentative: false,
        },
      ],
    });
  });

  it('accepts an ISO-8601 `at` with any offset and paths with or without a Graph version or host', () => {
    const iso = '2025-12-31T09:00:00+01:00'; // = T (2025-12-31T08:00:00Z)
    for (const path of [
      `/${BUSINESS}/messages`,
      `/v24.0/${BUSINESS}/messages/`,
      `https://graph.facebook.com/v23.0/${BUSINESS}/messages`,
    ]) {
      const outcome = new Translator().apiCall(
        apiCall('POST', path, freeFormRequest, 200, sendResponse(REQUEST_ID), iso),
        'x',
      );
      expect(outcome).toMatchObject({ facts: [{ type: 'RequestSent', at: T, pair }] });
    }
  });

  it('normalises the phone number sent to, and keeps a BSUID recipient as is', () => {
    const plus = { ...freeFormRequest, to: '+44 7700-900123' };
    const noContacts = { messaging_product: 'whatsapp', messages: [{ id: REQUEST_ID }] };
    expect(
      new Translator().apiCall(apiCall('POST', `/${BUSINESS}/messages`, plus, 200, noContacts), 'x'),
    ).toMatchObject({
      facts: [{ pair: { business: BUSINESS, user: USER } }],
    });
    const { to: _, ...toBsuid } = { ...freeFormRequest, recipient: 'US.13491208655302741918' };
    expect(
      new Translator().apiCall(apiCall('POST', `/${BUSINESS}/messages`, toBsuid, 200, noContacts), 'x'),
    ).toMatchObject({
      facts: [{ pair: { business: BUSINESS, user: 'US.13491208655302741918' } }],
    });
  });

  it("prefers Meta's canonical wa_id (contacts[0].wa_id) over the number as typed", () => {
    const typed = { ...freeFormRequest, to: '5511987654321' };
    const outcome = new Translator().apiCall(
      apiCall('POST', `/${BUSINESS}/messages`, typed, 200, sendResponse(REQUEST_ID, '551187654321')),
      'x',
    );
    expect(outcome).toMatchObject({ facts: [{ pair: { user: '551187654321' } }] });
  });

  it('learns permission templates from their creation, then reads their sends as template requests', () => {
    const translator = new Translator();
    const create = {
      name: 'order_support_call',
      language: 'en_US',
      category: 'UTILITY',
      components: [
        { type: 'body', text: 'Hi {{first_name}}, may we call you?' },
        { type: 'CALL_PERMISSION_REQUEST' },
      ],
    };
    const created = { id: '546151681022936', status: 'PENDING', category: 'UTILITY' };
    expect(
      translator.apiCall(apiCall('POST', `/v23.0/${WABA}/message_templates`, create, 200, created), 'log:7'),
    ).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'TemplateKnown',
          business: WABA,
          name: 'order_support_call',
          language: 'en_US',
          at: T,
          key: `api:template:${WABA}:order_support_call:en_US`,
          source,
        },
      ],
    });
    expect([...translator.templates]).toEqual(['order_support_call']);
    const send = apiCall(
      'POST',
      `/${BUSINESS}/messages`,
      templateSend('order_support_call'),
      200,
      sendResponse(REQUEST_ID),
      T + 60,
    );
    expect(translator.apiCall(send, 'log:8')).toMatchObject({
      facts: [
        { type: 'RequestSent', channel: 'template', tentative: false, requestId: REQUEST_ID, at: T + 60 },
      ],
    });
  });

  it('a permission template whose language holds a control character or a broken surrogate is refused at that field (it would be part of the key)', () => {
    const translator = new Translator();
    for (const language of ['en\u0000', 'en_\ud800', 'en\n']) {
      const create = { name: 'support_call', language, components: [{ type: 'CALL_PERMISSION_REQUEST' }] };
      const outcome = translator.apiCall(
        apiCall('POST', `/v23.0/${WABA}/message_templates`, create, 200, { id: '1' }),
        'log:9',
      );
      expect(outcome).toMatchObject({ kind: 'rejected', path: 'request.body.language' });
    }
    expect([...translator.templates]).toEqual([]);
  });

  it('templates can also be named up front; other templates and messages are ignored (and remembered)', () => {
    const translator = new Translator({ templates: ['callback_prompt'] });
    const known = apiCall(
      'POST',
      `/${BUSINESS}/messages`,
      templateSend('callback_prompt'),
      200,
      sendResponse('wamid.A'),
    );
    const other = apiCall(
      'POST',
      `/${BUSINESS}/messages`,
      templateSend('shipping_update'),
      200,
      sendResponse('wamid.B'),
    );
    expect(translator.apiCall(known, 'x')).toMatchObject({ facts: [{ channel: 'template' }], ignored: 0 });
    expect(translator.apiCall(other, 'x')).toEqual({ kind: 'facts', facts: [], ignored: 1 });
    const plain = {
      messaging_product: 'whatsapp',
      components: [{ type: 'BODY', text: 'Your order shipped' }],
      name: 'shipping_update',
    };
    expect(
      translator.apiCall(apiCall('POST', `/${WABA}/message_templates`, plain, 200, { id: '1' }), 'x'),
    ).toEqual({
      kind: 'facts',
      facts: [],
      ignored: 1,
    });
  });

  it('a connect call is a CallAttempted with the call id; other call actions are ignored', () => {
    const connect = {
      messaging_product: 'whatsapp',
      to: USER,
      action: 'connect',
      session: { sdp_type: 'offer', sdp: 'v=0' },
    };
    const started = { messaging_product: 'whatsapp', calls: [{ id: CALL_ID }] };
    expect(
      new Translator().apiCall(apiCall('POST', `/${BUSINESS}/calls`, connect, 200, started), 'log:7'),
    ).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [{ type: 'CallAttempted', pair, at: T, key: `api:call:${CALL_ID}`, source, callId: CALL_ID }],
    });
    const terminate = { messaging_product: 'whatsapp', call_id: CALL_ID, action: 'terminate' };
    expect(
      new Translator().apiCall(apiCall('POST', `/${BUSINESS}/calls`, terminate, 200, { success: true }), 'x'),
    ).toEqual({
      kind: 'facts',
      facts: [],
      ignored: 1,
    });
  });

  it('a settings change is a CallbackSettingChanged (callback_permission_status) and a CallingSettingChanged (status)', () => {
    const body = {
      calling: { status: 'ENABLED', call_icon_visibility: 'DEFAULT', callback_permission_status: 'DISABLED' },
    };
    expect(
      new Translator().apiCall(
        apiCall('POST', `/${BUSINESS}/settings`, body, 200, { success: true }),
        'log:7',
      ),
    ).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'CallbackSettingChanged',
          business: BUSINESS,
          enabled: false,
          at: T,
          key: `api:settings:${BUSINESS}:${T}:callback-disabled`,
          source,
        },
        {
          type: 'CallingSettingChanged',
          business: BUSINESS,
          enabled: true,
          at: T,
          key: `api:settings:${BUSINESS}:${T}:calling-enabled`,
          source,
        },
      ],
    });
    const other = { calling: { call_icon_visibility: 'DISABLE_ALL' } };
    expect(
      new Translator().apiCall(apiCall('POST', `/${BUSINESS}/settings`, other, 200, { success: true }), 'x'),
    ).toEqual({
      kind: 'facts',
      facts: [],
      ignored: 1,
    });
  });

  it.each([
    ['a refused send (138009)', 'POST', `/${BUSINESS}/messages`, freeFormRequest, 400],
    ['a refused call (138006)', 'POST', `/${BUSINESS}/calls`, { to: USER, action: 'connect' }, 401],
    ['a rate-limited GET (613)', 'GET', `/${BUSINESS}/call_permissions?user_wa_id=${USER}`, undefined, 429],
  ])('%s changed nothing at Meta: no fact, counted as ignored', (_, method, path, body, status) => {
    const error = { error: { message: 'refused', type: 'OAuthException', code: 138009, fbtrace_id: 'A' } };
    expect(new Translator().apiCall(apiCall(method, path, body, status, error), 'x')).toEqual({
      kind: 'facts',
      facts: [],
      ignored: 1,
    });
  });

  it('unrelated endpoints are ignored', () => {
    expect(
      new Translator().apiCall(apiCall('GET', `/v23.0/${BUSINESS}`, undefined, 200, { id: BUSINESS }), 'x'),
    ).toEqual({
      kind: 'facts',
      facts: [],
      ignored: 1,
    });
  });
});

describe('GET call_permissions → PermissionObserved', () => {
  const get = (response: unknown, query = `user_wa_id=${USER}`) =>
    new Translator().apiCall(
      apiCall('GET', `/v23.0/${BUSINESS}/call_permissions?${query}`, undefined, 200, response),
      'log:7',
    );

  it("reads Meta's documented response, limits in ISO-8601 durations", () => {
    const response = {
      messaging_product: 'whatsapp',
      permission: { status: 'temporary', expiration_time: T + 604800 },
      actions: [
        {
          action_name: 'send_call_permission_request',
          can_perform_action: true,
          limits: [
            { time_period: 'PT24H', max_allowed: 1, current_usage: 0 },
            { time_period: 'P7D', max_allowed: 2, current_usage: 1 },
          ],
        },
        {
          action_name: 'start_call',
          can_perform_action: false,
          limits: [
            { time_period: 'PT24H', max_allowed: 100, current_usage: 100, limit_expiration_time: T + 3600 },
          ],
        },
      ],
    };
    expect(get(response)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'PermissionObserved',
          pair,
          at: T,
          key: `observed:${BUSINESS}:${USER}:${T}`,
          source,
          status: 'temporary',
          expiresAt: T + 604800,
          usage: [
            { action: 'send_call_permission_request', periodSeconds: 86400, maxAllowed: 1, currentUsage: 0 },
            { action: 'send_call_permission_request', periodSeconds: 604800, maxAllowed: 2, currentUsage: 1 },
            { action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: 100 },
          ],
        },
      ],
    });
  });

  it.each([
    ['permanent', undefined, 'permanent'],
    ['no_permission', undefined, 'no_permission'],
    ['granted', T + 600, 'temporary'],
    ['granted', undefined, 'permanent'],
    ['pending', undefined, 'no_permission'],
    ['denied', undefined, 'no_permission'],
    ['expired', undefined, 'no_permission'],
  ])('status %s (expiration_time %s) is observed as %s', (wire, expiration, observed) => {
    const permission =
      expiration === undefined ? { status: wire } : { status: wire, expiration_time: expiration };
    const outcome = get({ messaging_product: 'whatsapp', permission });
    expect(outcome).toMatchObject({
      kind: 'facts',
      facts: [{ type: 'PermissionObserved', status: observed }],
    });
    const fact = outcome.kind === 'facts' ? outcome.facts[0] : undefined;
    expect(fact && 'expiresAt' in fact ? fact.expiresAt : undefined).toBe(
      observed === 'temporary' ? expiration : undefined,
    );
  });

  it('tolerates limits: null, actions without limits, and the OpenAPI "24h" period', () => {
    const response = {
      permission: { status: 'granted' },
      actions: [
        {
          action_name: 'start_call',
          can_perform_action: true,
          limits: [{ time_period: '24h', max_allowed: 100, current_usage: 5 }],
        },
        { action_name: 'send_call_permission_request', can_perform_action: false, limits: null },
        { action_name: 'start_call', can_perform_action: true },
      ],
    };
    expect(get(response)).toMatchObject({
      facts: [
        {
          status: 'permanent',
          usage: [{ action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: 5 }],
        },
      ],
    });
    const withoutUsage = get({
      permission: { status: 'no_permission' },
      actions: [{ action_name: 'start_call', limits: null }],
    });
    expect(withoutUsage.kind === 'facts' && 'usage' in (withoutUsage.facts[0] ?? {})).toBe(false);
  });

  it('keys the pair by recipient (BSUID) when the query names no phone number', () => {
    expect(get({ permission: { status: 'permanent' } }, 'recipient=US.13491208655302741918')).toMatchObject({
      facts: [{ pair: { business: BUSINESS, user: 'US.13491208655302741918' } }],
    });
  });

  it('refuses a GET that names no user, or an unknown status, or a period that is no duration', () => {
    expect(get({ permission: { status: 'permanent' } }, 'fields=permission')).toEqual({
      kind: 'rejected',
      path: 'request.path',
      reason: 'needs user_wa_id or recipient in the query',
    });
    expect(get({ permission: { status: 'has_permission' } })).toMatchObject({
      kind: 'rejected',
      path: 'response.body.permission.status',
    });
    const badPeriod = {
      permission: { status: 'permanent' },
      actions: [
        { action_name: 'start_call', limits: [{ time_period: 'daily', max_allowed: 1, current_usage: 0 }] },
      ],
    };
    expect(get(badPeriod)).toEqual({
      kind: 'rejected',
      path: 'response.body.actions[0].limits[0].time_period',
      reason: '"daily" is not a duration (PT24H, P7D or 24h)',
    });
  });
});
