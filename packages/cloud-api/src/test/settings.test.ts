import { describe, expect, it } from 'vitest';
import { Translator } from '../index.js';
import { BUSINESS, T, webhook } from './meta.js';

const settingsUpdate = (calling: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  webhook('account_settings_update', {
    messaging_product: 'whatsapp',
    timestamp: String(T),
    type: 'phone_number_settings',
    phone_number_settings: { phone_number_id: BUSINESS, calling },
    ...extra,
  });

describe('account_settings_update webhooks', () => {
  it('callback_permission_status is a CallbackSettingChanged and status a CallingSettingChanged, for the number named inside', () => {
    const body = settingsUpdate({
      status: 'ENABLED',
      call_icon_visibility: 'DEFAULT',
      callback_permission_status: 'ENABLED',
    });
    expect(new Translator().webhook(body, undefined, 'w')).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'CallbackSettingChanged',
          business: BUSINESS,
          enabled: true,
          at: T,
          key: `settings:${BUSINESS}:${T}:callback-enabled`,
          source: { kind: 'webhook', ref: 'w' },
        },
        {
          type: 'CallingSettingChanged',
          business: BUSINESS,
          enabled: true,
          at: T,
          key: `settings:${BUSINESS}:${T}:calling-enabled`,
          source: { kind: 'webhook', ref: 'w' },
        },
      ],
    });
  });

  it('calling turned off alone (status DISABLED) is a CallingSettingChanged{enabled: false}', () => {
    expect(new Translator().webhook(settingsUpdate({ status: 'DISABLED' }), undefined, 'w')).toMatchObject({
      facts: [
        { type: 'CallingSettingChanged', enabled: false, key: `settings:${BUSINESS}:${T}:calling-disabled` },
      ],
    });
  });

  it('POST /{phone_number_id}/settings with calling.status is a CallingSettingChanged at the call', () => {
    const line = {
      at: T,
      request: {
        method: 'POST',
        path: `/v23.0/${BUSINESS}/settings`,
        body: { calling: { status: 'DISABLED' } },
      },
      response: { status: 200, body: { success: true } },
    };
    expect(new Translator().apiCall(line, 'a')).toMatchObject({
      facts: [
        {
          type: 'CallingSettingChanged',
          business: BUSINESS,
          enabled: false,
          key: `api:settings:${BUSINESS}:${T}:calling-disabled`,
        },
      ],
    });
  });

  it('falls back to the received instant when the change has no timestamp', () => {
    const { timestamp: _, ...value } = (
      settingsUpdate({ callback_permission_status: 'DISABLED' }) as {
        entry: [{ changes: [{ value: Record<string, unknown> }] }];
      }
    ).entry[0].changes[0].value;
    expect(new Translator().webhook(webhook('account_settings_update', value), T + 5, 'w')).toMatchObject({
      facts: [{ type: 'CallbackSettingChanged', enabled: false, at: T + 5 }],
    });
  });

  it('settings changes that touch neither calling status nor the callback setting are ignored', () => {
    expect(
      new Translator().webhook(settingsUpdate({ call_icon_visibility: 'DISABLE_ALL' }), undefined, 'w'),
    ).toEqual({
      kind: 'facts',
      facts: [],
      ignored: 1,
    });
  });

  it('other webhook fields are counted as ignored', () => {
    const body = webhook('message_template_status_update', { event: 'APPROVED', message_template_name: 'x' });
    expect(new Translator().webhook(body, undefined, 'w')).toEqual({ kind: 'facts', facts: [], ignored: 1 });
  });
});
