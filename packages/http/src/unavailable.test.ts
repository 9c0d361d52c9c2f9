// The service when its database fails: every route that needs the store answers 503 with Retry-After (a
// Graph-style error), never 500 and never a hang; /readyz says so; nothing is stored meanwhile, and the service
// recovers by itself once the database is back. The database is reached through a TCP proxy the test cuts.

import { openStore } from '@callpermit/store';
import { describeWithPostgres } from '@callpermit/testing';
import { FakeGraph } from '@callpermit/testing/graph';
import { startTcpProxy } from '@callpermit/testing/proxy';
import { BUSINESS, payloadOf, reply, USER, userText } from '@callpermit/testing/wire';
import pg from 'pg';
import { expect, it } from 'vitest';
import { bodyOf, META_TOKEN, nowSeconds, postJson, startService } from './test/service.js';

async function expectUnavailable(answer: Promise<Response>, reason: RegExp): Promise<void> {
  const started = performance.now();
  const response = await answer;
  expect(performance.now() - started).toBeLessThan(5000);
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  const { error } = await bodyOf(response);
  expect(error.code).toBe(2);
  expect(error.message).toMatch(reason);
  expect(error.fbtrace_id).toBe(response.headers.get('x-request-id'));
}

describeWithPostgres('the store unavailable', (newDatabase) => {
  it('down, then hung: 503 with Retry-After on every route that needs it, /readyz 503, nothing stored; then it recovers by itself', async () => {
    const url = await newDatabase();
    const proxy = await startTcpProxy(url);
    const fake = await FakeGraph.start();
    const store = await openStore({ databaseUrl: proxy.url, connectTimeoutMs: 500, queryTimeoutMs: 800 });
    const service = await startService({ store, graph: { url: fake.url, token: META_TOKEN } });
    try {
      const at = nowSeconds() - 120;
      const before = payloadOf(userText('wamid.BEFORE', at));
      const during = payloadOf(reply('wamid.DURING', at + 10, { response: 'accept', permanent: true }));
      expect((await service.deliver(before)).status).toBe(200);

      for (const cut of ['down', 'hang'] as const) {
        if (cut === 'down') await proxy.down();
        else proxy.hang();
        const unreachable = /^\(#2\) Service temporarily unavailable: the database cannot be reached/;
        await expectUnavailable(service.deliver(during), unreachable);
        await expectUnavailable(
          service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`),
          unreachable,
        );
        await expectUnavailable(
          postJson(service, `/v23.0/${BUSINESS}/calls`, { to: USER, action: 'connect' }),
          unreachable,
        );
        await expectUnavailable(
          service.call('/v1/captures', {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson' },
            body: `${JSON.stringify({ kind: 'webhook', received_at: '2026-01-01T00:00:00Z', payload: JSON.parse(during) })}\n`,
          }),
          unreachable,
        );
        const ready = await fetch(`${service.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(ready.headers.get('retry-after')).toBe('5');
        expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
        // The guard refused before deciding: Meta was never asked.
        expect(fake.on('calls')).toHaveLength(0);
        await proxy.up();
        let ready200 = false;
        for (let i = 0; i < 50 && !ready200; i++) {
          ready200 = (await fetch(`${service.url}/readyz`)).status === 200;
          if (!ready200) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(ready200).toBe(true);
      }

      // Nothing of the refused deliveries was kept; Meta's redelivery is applied once, and the state shows it.
      expect((await store.inbox.counts()).applied).toBe(1);
      expect(await bodyOf(await service.deliver(during))).toEqual({ outcome: 'applied' });
      expect(await bodyOf(await service.deliver(before))).toEqual({ outcome: 'duplicate' });
      const state = await bodyOf(await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`));
      expect(state.permission).toEqual({ status: 'permanent' });
    } finally {
      await service.close();
      await store.close();
      await fake.close();
      await proxy.close();
    }
  });

  it('read-only: webhooks 503 naming it, nothing stored; queries still answer', async () => {
    const url = await newDatabase();
    await (await openStore({ databaseUrl: url })).close();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(
      `alter database ${new URL(url).pathname.slice(1)} set default_transaction_read_only = on`,
    );
    await admin.end();
    const store = await openStore({ databaseUrl: url });
    const service = await startService({ store });
    try {
      await expectUnavailable(
        service.deliver(payloadOf(userText('wamid.RO', nowSeconds() - 5))),
        /^\(#2\) Service temporarily unavailable: the database is read-only/,
      );
      expect((await store.inbox.counts()).applied).toBe(0);
      const query = await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`);
      expect(query.status).toBe(200);
      expect((await bodyOf(query)).permission).toEqual({ status: 'no_permission' });
    } finally {
      await service.close();
      await store.close();
    }
  });
});
