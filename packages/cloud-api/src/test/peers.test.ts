// Every JSON document in the shared peer fixtures (see PROVENANCE.md there) is translated or refused, with the
// outcome stated per file. The folder is read in place, never copied; a missing folder fails the suite.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type LineOutcome, Translator } from '../index.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = process.env.CALLPERMIT_PEER_FIXTURES ?? path.resolve(repoRoot, '../shared/fixtures/peers');

const RECEIVED = 1_789_700_000;
const AT = 1_767_168_000;
const BUSINESS = '109876543210987';
const USER = '447700900123';

/** How a fixture is fed: a webhook body as is; a GET response or a send body inside a logged API call. */
type Feed = 'webhook' | 'get' | 'send';

function translate(file: string, feed: Feed): LineOutcome {
  const json: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const translator = new Translator();
  if (feed === 'webhook') return translator.webhook(json, RECEIVED, file);
  const entry =
    feed === 'get'
      ? {
          at: AT,
          request: { method: 'GET', path: `/v23.0/${BUSINESS}/call_permissions?user_wa_id=${USER}` },
          response: { status: 200, body: json },
        }
      : {
          at: AT,
          request: { method: 'POST', path: `/v23.0/${BUSINESS}/messages`, body: json },
          response: {
            status: 200,
            body: { messaging_product: 'whatsapp', messages: [{ id: 'wamid.KAPSO' }] },
          },
        };
  return translator.apiCall(entry, file);
}

const webhookSource = (file: string) => ({ kind: 'webhook', ref: file });
const observed = (file: string, rest: Record<string, unknown>) => ({
  kind: 'facts',
  ignored: 0,
  facts: [
    {
      type: 'PermissionObserved',
      pair: { business: BUSINESS, user: USER },
      at: AT,
      key: `observed:${BUSINESS}:${USER}:${AT}`,
      source: { kind: 'api_call', ref: file },
      ...rest,
    },
  ],
});

const expected: Record<string, { feed: Feed; outcome: (file: string) => unknown }> = {
  'david-lev__pywa/webhook.calls.connect.business_initiated.json': {
    feed: 'webhook',
    outcome: () => ({ kind: 'facts', facts: [], ignored: 1 }),
  },
  'david-lev__pywa/webhook.calls.connect.user_initiated.json': {
    feed: 'webhook',
    outcome: (file) => ({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'UserCalled',
          pair: { business: '743897493242', user: '972987654321' },
          at: 1752583107,
          key: 'call:wacid.xxxx=:user-called',
          source: webhookSource(file),
          callId: 'wacid.xxxx=',
        },
      ],
    }),
  },
  'david-lev__pywa/webhook.calls.statuses.ringing.json': {
    feed: 'webhook',
    outcome: () => ({ kind: 'facts', facts: [], ignored: 1 }),
  },
  'david-lev__pywa/webhook.calls.terminate.completed_with_errors.json': {
    feed: 'webhook',
    outcome: (file) => ({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'CallConnected',
          pair: { business: '37489742', user: '16315553601' },
          at: 1671644824,
          key: 'call:wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh:connected-start',
          source: webhookSource(file),
          callId: 'wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh',
          direction: 'business_initiated',
          evidence: 'start_time',
        },
      ],
    }),
  },
  'david-lev__pywa/webhook.messages.call_permission_reply.accept.user_action.json': {
    feed: 'webhook',
    outcome: (file) => ({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'PermissionGranted',
          pair: { business: '1122334455667', user: '972987654321' },
          at: 1752582182,
          key: 'reply:wamid.x',
          source: webhookSource(file),
          permanent: false,
          expiresAt: 1753186982,
          via: 'request',
          requestId: 'wamid.y==',
        },
      ],
    }),
  },
  'david-lev__pywa/webhook.messages.call_permission_reply.reject.user_action.json': {
    feed: 'webhook',
    outcome: (file) => ({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'PermissionDeclined',
          pair: { business: '1122334455667', user: '972987654321' },
          at: 1752582182,
          key: 'reply:wamid.x',
          source: webhookSource(file),
          requestId: 'wamid.y==',
        },
      ],
    }),
  },
  // No timestamp (falls back to the received instant), no response_source (a user action), no context (profile).
  'dograh-hq__dograh/webhook.messages.call_permission_reply.accept.string_expiration.no_response_source.json':
    {
      feed: 'webhook',
      outcome: (file) => ({
        kind: 'facts',
        ignored: 0,
        facts: [
          {
            type: 'PermissionGranted',
            pair: { business: '1057750320752614', user: '917505327482' },
            at: RECEIVED,
            key: 'reply:wamid.HBgLOT...',
            source: webhookSource(file),
            permanent: false,
            expiresAt: 1789735027,
            via: 'profile',
          },
        ],
      }),
    },
  'dograh-hq__dograh/call_permissions.get.response.permanent.mock.json': {
    feed: 'get',
    outcome: (file) => observed(file, { status: 'permanent' }),
  },
  'dograh-hq__dograh/call_permissions.get.response.temporary.mock.json': {
    feed: 'get',
    outcome: (file) => observed(file, { status: 'temporary', expiresAt: 1789735027 }),
  },
  'facebook__openapi/call_permissions.get.response.denied.json': {
    feed: 'get',
    outcome: (file) =>
      observed(file, {
        status: 'no_permission',
        usage: [
          { action: 'send_call_permission_request', periodSeconds: 86400, maxAllowed: 5, currentUsage: 2 },
        ],
      }),
  },
  'facebook__openapi/call_permissions.get.response.granted.json': {
    feed: 'get',
    outcome: (file) =>
      observed(file, {
        status: 'temporary',
        expiresAt: 1735689600,
        usage: [{ action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: 5 }],
      }),
  },
  'facebook__openapi/call_permissions.get.response.pending.json': {
    feed: 'get',
    outcome: (file) => observed(file, { status: 'no_permission' }),
  },
  'gokapso__whatsapp-cloud-api-js/call_permissions.get.response.temporary.mock.json': {
    feed: 'get',
    // A mock's expiration_time of 12345 (1970) is no instant Meta would send: refused, not stored as an expiry.
    outcome: () => ({
      kind: 'rejected',
      path: 'response.body.permission.expiration_time',
      reason: '12345 is before 2000-01-01T00:00:00Z: not a plausible instant in Unix seconds',
    }),
  },
  // Kapso's non-standard body puts the number in action.parameters instead of `to`: refused.
  'gokapso__whatsapp-cloud-api-js/send.call_permission_request.expected_body.partial.json': {
    feed: 'send',
    outcome: () => ({
      kind: 'rejected',
      path: 'request.body.to',
      reason: 'needs to (a phone number) or recipient (a BSUID)',
    }),
  },
  'piusalfred__whatsapp/call_permissions.get.response.granted.minimal.json': {
    feed: 'get',
    outcome: (file) => observed(file, { status: 'permanent' }),
  },
  'piusalfred__whatsapp/call_permissions.get.response.granted.with_start_call_limit.json': {
    feed: 'get',
    outcome: (file) =>
      observed(file, {
        status: 'permanent',
        usage: [{ action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: 5 }],
      }),
  },
};

function fixtureFiles(): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

describe(`peer fixtures (${dir})`, () => {
  it('the fixture folder exists and every fixture in it has a stated outcome', () => {
    expect(existsSync(dir), `peer fixtures not found at ${dir} (set CALLPERMIT_PEER_FIXTURES)`).toBe(true);
    expect(fixtureFiles()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, { feed, outcome }] of Object.entries(expected)) {
    it(file, () => {
      expect(translate(file, feed)).toEqual(outcome(file));
    });
  }

  it('the dograh reply, which has no timestamp, is refused when nothing says when it was received', () => {
    const file =
      'dograh-hq__dograh/webhook.messages.call_permission_reply.accept.string_expiration.no_response_source.json';
    const json: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    expect(new Translator().webhook(json, undefined, file)).toEqual({
      kind: 'rejected',
      path: 'entry[0].changes[0].value.messages[0].timestamp',
      reason: 'missing, and no received_at to fall back on',
    });
  });
});
