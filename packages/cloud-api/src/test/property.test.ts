import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Translator } from '../index.js';

// Valid webhook bodies of every shape the translator reads, with Meta's variations: string or number
// timestamps, optional fields absent, BSUID-only users, unknown statuses, events and fields.
const ids = (prefix: string) => fc.integer({ min: 1, max: 40 }).map((n) => `${prefix}${n}`);
const seconds = fc.integer({ min: 1_600_000_000, max: 1_900_000_000 });
const wireSeconds = fc.oneof(seconds.map(String), seconds);
const user = fc.constantFrom('447700900123', '447700900456', '15550009999');
const bsuid = fc.constantFrom('US.13491208655302741918', 'GB.99');

const messageStatus = fc.record(
  {
    id: ids('wamid.S'),
    status: fc.constantFrom('sent', 'delivered', 'read', 'failed', 'played', 'warning'),
    timestamp: wireSeconds.map(String),
    recipient_id: user,
    errors: fc.array(fc.record({ code: fc.integer({ min: 1, max: 200000 }), title: fc.string() }), {
      maxLength: 2,
    }),
  },
  { requiredKeys: ['id', 'status', 'timestamp', 'recipient_id'] },
);

const reply = fc.record(
  {
    response: fc.constantFrom('accept', 'reject'),
    is_permanent: fc.boolean(),
    expiration_timestamp: wireSeconds,
    response_source: fc.constantFrom('user_action', 'automatic'),
  },
  { requiredKeys: ['response'] },
);
const inbound = fc
  .record(
    {
      id: ids('wamid.M'),
      timestamp: seconds.map(String),
      context: fc.record({ id: fc.oneof(ids('wamid.S'), ids('wacid.C')) }),
      interactive: fc.oneof(
        reply.map((r) => ({ type: 'call_permission_reply', call_permission_reply: r })),
        fc.constant({ type: 'button_reply', button_reply: { id: 'b' } }),
      ),
    },
    { requiredKeys: ['id', 'timestamp'] },
  )
  .chain((m) =>
    fc.oneof(
      user.map((from) => ({ ...m, from })),
      bsuid.map((from_user_id) => ({ ...m, from_user_id })),
    ),
  );

const callEvent = fc
  .record(
    {
      id: ids('wacid.C'),
      event: fc.constantFrom('connect', 'terminate', 'call_created'),
      direction: fc.constantFrom('USER_INITIATED', 'BUSINESS_INITIATED'),
      timestamp: seconds.map(String),
      status: fc.constantFrom('COMPLETED', 'FAILED'),
      start_time: seconds.map(String),
      end_time: seconds.map(String),
      duration: fc.integer({ min: 0, max: 3600 }),
    },
    { requiredKeys: ['id', 'event', 'direction', 'timestamp'] },
  )
  .chain((c) => user.map((u) => ({ ...c, from: u, to: u })));
const callStatus = fc.record({
  id: ids('wacid.C'),
  type: fc.constant('call'),
  status: fc.constantFrom('RINGING', 'ACCEPTED', 'REJECTED', 'MISSED'),
  timestamp: seconds.map(String),
  recipient_id: user,
});

const metadata = { display_phone_number: '15550001111', phone_number_id: '109876543210987' };
const change = fc.oneof(
  fc
    .record({
      statuses: fc.array(messageStatus, { maxLength: 4 }),
      messages: fc.array(inbound, { maxLength: 3 }),
    })
    .map((v) => ({
      field: 'messages',
      value: { messaging_product: 'whatsapp', metadata, ...v },
      items: v.statuses.length + v.messages.length,
    })),
  fc
    .record({
      calls: fc.array(callEvent, { maxLength: 3 }),
      statuses: fc.array(callStatus, { maxLength: 3 }),
    })
    .map((v) => ({
      field: 'calls',
      value: { messaging_product: 'whatsapp', metadata, ...v },
      items: v.calls.length + v.statuses.length,
    })),
  fc.option(fc.constantFrom('ENABLED', 'DISABLED'), { nil: undefined }).map((callback) => ({
    field: 'account_settings_update',
    value: {
      timestamp: '1767182400',
      type: 'phone_number_settings',
      phone_number_settings: {
        phone_number_id: metadata.phone_number_id,
        calling: callback === undefined ? { status: 'ENABLED' } : { callback_permission_status: callback },
      },
    },
    items: 1,
  })),
  fc.constant({ field: 'message_template_status_update', value: { event: 'APPROVED' }, items: 1 }),
);
const body = fc
  .array(fc.array(change, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
  .map((entries) => ({
    json: {
      object: 'whatsapp_business_account',
      entry: entries.map((changes) => ({
        id: '102938475610293',
        changes: changes.map(({ field, value }) => ({ field, value })),
      })),
    },
    // An empty change still counts once (as ignored).
    items: entries.flat().reduce((n, c) => n + Math.max(c.items, 1), 0),
    changes: entries.flat(),
  }));

const settings = { seed: 20251231, numRuns: 300 };

describe('property: any valid webhook', () => {
  it('translates without throwing, and accounts for every item: one fact or one ignored each', () => {
    fc.assert(
      fc.property(body, ({ json, items }) => {
        const outcome = new Translator().webhook(json, undefined, 'p');
        expect(outcome.kind).toBe('facts');
        if (outcome.kind === 'facts') expect(outcome.facts.length + outcome.ignored).toBe(items);
      }),
      settings,
    );
  });

  it('yields the same facts with the same keys however it is batched or re-translated', () => {
    fc.assert(
      fc.property(body, ({ json, changes }) => {
        const once = new Translator().webhook(json, undefined, 'p');
        const again = new Translator().webhook(structuredClone(json), undefined, 'p');
        expect(again).toEqual(once);
        // One webhook per change: the facts (and so their keys) do not depend on the batching.
        const split = new Translator();
        const separately = changes.flatMap(({ field, value }) => {
          const single = {
            object: 'whatsapp_business_account',
            entry: [{ id: '102938475610293', changes: [{ field, value }] }],
          };
          const outcome = split.webhook(single, undefined, 'p');
          return outcome.kind === 'facts' ? outcome.facts : [];
        });
        expect(once.kind === 'facts' ? once.facts : []).toEqual(separately);
      }),
      settings,
    );
  });
});
