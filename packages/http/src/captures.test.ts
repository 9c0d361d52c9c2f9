// POST /v1/captures: capture lines made elsewhere, stored like `callpermit replay` (inbox + facts per batch),
// answering replay's summary; bad lines are kept as rejects and listed, never dropped.
import type { SqlStore } from '@callpermit/store';
import { BUSINESS, reply, sendFreeForm, status, USER, userText } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, nowSeconds, SCOPED_TOKEN, startService, type TestService } from './test/service.js';

let service: TestService;
beforeAll(async () => {
  service = await startService({ store: 'pglite' });
});
afterAll(async () => {
  await service?.close();
});

const post = (body: string, token?: string) =>
  service.call('/v1/captures', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });

describe('POST /v1/captures', () => {
  it('stores the lines with their facts and answers replay’s counts; a bad line is kept and reported with its number', async () => {
    const t = nowSeconds() - 7200;
    const lines = [
      userText('wamid.CAP-IN', t),
      sendFreeForm('wamid.CAP-REQ', t + 10),
      '{"kind":"webhook","payload":{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"x","status":"sent","recipient_id":"4"}]}}]}]}}',
      '',
      'not json',
      reply('wamid.CAP-REP', t + 100, { response: 'accept', context: 'wamid.CAP-REQ', permanent: true }),
      status('wamid.OTHER', 'played' as never, t + 5),
    ];
    const answer = await post(`${lines.join('\n')}\n`);
    expect(answer.status).toBe(200);
    const summary = await bodyOf(answer);
    expect(summary).toMatchObject({ lines: 6, applied: 3, duplicates: 0, ignored: 1, rejected: 2 });
    expect(summary.rejects.map((r: { line: number }) => r.line)).toEqual([3, 5]);
    expect(summary.rejects[0].reason).toMatch(/^captures:3: .*timestamp/);
    expect(summary.rejects[1].reason).toMatch(/^captures:5: invalid JSON/);
    const kept = [];
    for await (const entry of (service.store as SqlStore).inbox.iterate()) kept.push(entry);
    expect(kept.filter((e) => e.outcome === 'rejected').map((e) => e.body)).toEqual([lines[2], lines[4]]);
    const state = await bodyOf(await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`));
    expect(state.permission.status).toBe('permanent');

    // The same lines again: every good line is a duplicate (as `replay` counts a file replayed twice), the
    // bad ones are rejected again, nothing new.
    const again = await bodyOf(await post(`${lines.join('\n')}\n`));
    expect(again).toMatchObject({ lines: 6, applied: 0, duplicates: 4, ignored: 0, rejected: 2 });
  });

  it('needs an unlimited token: lines may touch any business', async () => {
    expect((await post(`${userText('wamid.S', nowSeconds())}\n`, SCOPED_TOKEN)).status).toBe(403);
  });
});
