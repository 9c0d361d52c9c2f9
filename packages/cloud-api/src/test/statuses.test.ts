import { describe, expect, it } from 'vitest';
import { Translator } from '../index.js';
import {
  apiCall,
  BUSINESS,
  freeFormRequest,
  messagesWebhook,
  pair,
  REQUEST_ID,
  sendResponse,
  status,
  T,
  templateSend,
} from './meta.js';

const source = { kind: 'webhook', ref: 's' } as const;

function statuses(translator: Translator, ...items: Record<string, unknown>[]) {
  return translator.webhook(messagesWebhook({ statuses: items }), undefined, 's');
}

describe('message statuses', () => {
  it('maps sent, delivered, read and failed of an unknown message; sent is tentative', () => {
    const failed = status(REQUEST_ID, 'failed', T + 3, {
      errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' }],
    });
    const outcome = statuses(
      new Translator(),
      status(REQUEST_ID, 'sent', T),
      status(REQUEST_ID, 'delivered', T + 1),
      status(REQUEST_ID, 'read', T + 2),
      failed,
    );
    const base = { pair, source, requestId: REQUEST_ID };
    expect(outcome).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'RequestSent',
          ...base,
          at: T,
          key: `status:${REQUEST_ID}:sent`,
          channel: 'unknown',
          tentative: true,
        },
        { type: 'RequestDelivered', ...base, at: T + 1, key: `status:${REQUEST_ID}:delivered` },
        { type: 'RequestRead', ...base, at: T + 2, key: `status:${REQUEST_ID}:read` },
        { type: 'RequestFailed', ...base, at: T + 3, key: `status:${REQUEST_ID}:failed`, errorCode: 131026 },
      ],
    });
  });

  it('a read without a delivered still yields RequestRead (read implies delivery)', () => {
    expect(statuses(new Translator(), status(REQUEST_ID, 'read', T + 9))).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'RequestRead',
          pair,
          source,
          requestId: REQUEST_ID,
          at: T + 9,
          key: `status:${REQUEST_ID}:read`,
        },
      ],
    });
  });

  it('a failed status without errors has no error code', () => {
    const outcome = statuses(new Translator(), status(REQUEST_ID, 'failed', T));
    expect(outcome).toMatchObject({ facts: [{ type: 'RequestFailed' }] });
    expect(outcome.kind === 'facts' && 'errorCode' in (outcome.facts[0] ?? {})).toBe(false);
  });

  it('played and unknown statuses are counted as ignored', () => {
    expect(
      statuses(new Translator(), status('wamid.V', 'played', T), status('wamid.V', 'deleted', T)),
    ).toEqual({
      kind: 'facts',
      ignored: 2,
      facts: [],
    });
  });

  it('a sent status of a request the API log showed is not tentative and carries its channel', () => {
    const translator = new Translator();
    translator.apiCall(
      apiCall('POST', `/v23.0/${BUSINESS}/messages`, freeFormRequest, 200, sendResponse(REQUEST_ID)),
      'a',
    );
    expect(statuses(translator, status(REQUEST_ID, 'sent', T + 1))).toMatchObject({
      facts: [
        { type: 'RequestSent', channel: 'free_form', tentative: false, key: `status:${REQUEST_ID}:sent` },
      ],
    });
  });

  it('statuses of messages the API log showed are not requests are ignored and counted', () => {
    const translator = new Translator();
    const text = { messaging_product: 'whatsapp', to: pair.user, type: 'text', text: { body: 'hi' } };
    translator.apiCall(apiCall('POST', `/${BUSINESS}/messages`, text, 200, sendResponse('wamid.TEXT')), 'a');
    translator.apiCall(
      apiCall('POST', `/${BUSINESS}/messages`, templateSend('order_update'), 200, sendResponse('wamid.TPL')),
      'b',
    );
    expect(
      statuses(translator, status('wamid.TEXT', 'delivered', T + 1), status('wamid.TPL', 'read', T + 2)),
    ).toEqual({ kind: 'facts', ignored: 2, facts: [] });
  });

  it('BSUID recipients (no phone number) are keyed by recipient_user_id', () => {
    const item = { id: REQUEST_ID, status: 'delivered', timestamp: String(T), recipient_user_id: 'US.1349' };
    expect(statuses(new Translator(), item)).toMatchObject({
      facts: [{ pair: { business: BUSINESS, user: 'US.1349' } }],
    });
  });

  it('forgets message ids after about a month of capture time, so memory stays bounded', () => {
    const translator = new Translator();
    const text = { messaging_product: 'whatsapp', to: pair.user, type: 'text', text: { body: 'hi' } };
    translator.apiCall(apiCall('POST', `/${BUSINESS}/messages`, text, 200, sendResponse('wamid.OLD')), 'a');
    // Still known a month later…
    translator.apiCall(
      apiCall('POST', `/${BUSINESS}/messages`, text, 200, sendResponse('wamid.MID'), T + 30 * 86400),
      'b',
    );
    expect(statuses(translator, status('wamid.OLD', 'read', T + 30 * 86400))).toMatchObject({ ignored: 1 });
    // …but not once capture time is 40 days on: its status is then read like any unknown message's.
    translator.apiCall(
      apiCall('POST', `/${BUSINESS}/messages`, text, 200, sendResponse('wamid.NEW'), T + 40 * 86400),
      'c',
    );
    expect(statuses(translator, status('wamid.OLD', 'read', T + 40 * 86400))).toMatchObject({
      ignored: 0,
      facts: [{ type: 'RequestRead', requestId: 'wamid.OLD' }],
    });
    expect(statuses(translator, status('wamid.MID', 'read', T + 40 * 86400))).toMatchObject({ ignored: 1 });
  });
});
