// The operators' routes, the OpenAPI document, logs and shutdown, over real loopback HTTP.
import { Writable } from 'node:stream';
import { webhookSignature } from '@callpermit/cloud-api';
import { Engine, MemoryFactStore } from '@callpermit/core';
import { openStore } from '@callpermit/store';
import { FakeGraph } from '@callpermit/testing/graph';
import { BUSINESS, payloadOf, USER, userText } from '@callpermit/testing/wire';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { HttpConfigError } from './config.js';
import { listen } from './listen.js';
import { bodyOf, META_TOKEN, nowSeconds, postJson, SECRET, startService, TOKEN } from './test/service.js';

describe('operators', () => {
  it('/healthz and /readyz answer without a token; /readyz is 503 with Retry-After once the store does not answer', async () => {
    const store = await openStore({ dataDir: 'memory://' });
    const service = await startService({ store });
    try {
      expect(await bodyOf(await fetch(`${service.url}/healthz`))).toEqual({ status: 'ok' });
      expect(await bodyOf(await fetch(`${service.url}/readyz`))).toEqual({ status: 'ready' });
      await store.close();
      const down = await fetch(`${service.url}/readyz`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect((await bodyOf(down)).status).toBe('unavailable');
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('/metrics is Prometheus text: webhooks by outcome, decisions, upstream, request latency', async () => {
    const fake = await FakeGraph.start();
    const service = await startService({ store: 'memory', graph: { url: fake.url, token: META_TOKEN } });
    try {
      await service.deliver(payloadOf(userText('wamid.M1', nowSeconds() - 5)));
      await postJson(service, `/${BUSINESS}/calls`, { to: USER, action: 'connect' });
      await service.call(`/v23.0/${BUSINESS}/phone_numbers`);
      const answer = await fetch(`${service.url}/metrics`);
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await answer.text();
      expect(text).toContain('callpermit_webhooks_total{outcome="applied"} 1');
      expect(text).toContain('callpermit_guard_decisions_total{result="refused",code="138006"} 1');
      expect(text).toContain('callpermit_upstream_requests_total{status="200"} 1');
      expect(text).toMatch(/callpermit_upstream_duration_seconds_count\{edge="other"\} 1/);
      expect(text).toMatch(
        /callpermit_http_request_duration_seconds_count\{method="POST",route="\/webhook",status="200"\} 1/,
      );
    } finally {
      await service.close();
      await fake.close();
    }
  });

  it('/openapi.json documents every route, the Graph prefixes and the proxy catch-alls', async () => {
    const service = await startService({ store: 'memory' });
    try {
      const doc = await bodyOf(await fetch(`${service.url}/openapi.json`));
      expect(doc.openapi).toMatch(/^3\./);
      const paths = Object.keys(doc.paths);
      for (const path of [
        '/webhook',
        '/healthz',
        '/readyz',
        '/metrics',
        '/v1/captures',
        '/v1/changes',
        '/v1/changes/stream',
        '/v1/subscriptions',
        '/v1/subscriptions/{id}',
        '/v1/subscriptions/{id}/resume',
        '/v1/{phone_number_id}/call_permissions',
        '/v1/{phone_number_id}/call_permissions/requests',
        '/v1/{phone_number_id}/messages',
        '/v1/{phone_number_id}/calls',
        '/{version}/{phone_number_id}/call_permissions',
        '/{version}/{phone_number_id}/messages',
        '/{version}/{phone_number_id}/calls',
        '/{phone_number_id}/call_permissions',
        '/{phone_number_id}/messages',
        '/{phone_number_id}/calls',
        '/v1/{node_id}/{edge}',
        '/{version}/{node_id}/{edge}',
        '/{node_id}/{edge}',
        '/{node_id}',
      ])
        expect(paths, path).toContain(path);
      expect(Object.keys(doc.paths['/webhook'])).toEqual(expect.arrayContaining(['get', 'post']));
      expect(Object.keys(doc.paths['/{node_id}/{edge}'])).toEqual(['get', 'post', 'delete']);
      expect(Object.keys(doc.paths['/v1/subscriptions'])).toEqual(['post', 'get']);
      expect(Object.keys(doc.paths['/v1/subscriptions/{id}'])).toEqual(['delete']);
      expect(Object.keys(doc.paths['/v1/changes/stream'].get.responses['200'].content)).toEqual([
        'text/event-stream',
      ]);
      expect(doc.components.schemas.Change).toBeDefined();
      expect(doc.components.schemas.Subscription).toBeDefined();
      expect(doc.components.schemas.CallPermissions).toBeDefined();
      expect(doc.components.schemas.GraphError).toBeDefined();
    } finally {
      await service.close();
    }
  });
});

describe('safety', () => {
  it('the app refuses to be made without app secrets or API tokens, unless insecure', () => {
    const engine = new Engine(new MemoryFactStore());
    expect(() => createApp(engine, { apiTokens: [{ token: TOKEN }] })).toThrow(HttpConfigError);
    expect(() => createApp(engine, { appSecrets: [SECRET] })).toThrow(/CALLPERMIT_API_TOKENS/);
    expect(() => createApp(engine, { insecure: true, logger: pino({ level: 'silent' }) })).not.toThrow();
  });

  it('logs carry a request id (echoed in X-Request-Id), never a token, signature, query or body', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const service = await startService({ store: 'memory', logger: pino({ level: 'info' }, sink) });
    try {
      const body = payloadOf(userText('wamid.SECRETBODY', nowSeconds() - 5));
      const signature = webhookSignature(body, SECRET);
      await service.deliver(body);
      const answer = await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`, {
        headers: { 'x-request-id': 'trace-me-42' },
      });
      expect(answer.headers.get('x-request-id')).toBe('trace-me-42');
      const text = lines.join('');
      expect(text).toContain('"req_id":"trace-me-42"');
      for (const secret of [TOKEN, SECRET, signature.slice(7), 'SECRETBODY', `user_wa_id=${USER}`])
        expect(text).not.toContain(secret);
    } finally {
      await service.close();
    }
  });

  it('close() lets a request in flight finish and refuses new connections', async () => {
    const fake = await FakeGraph.start();
    fake.delayMs = 300;
    const engine = new Engine(new MemoryFactStore());
    const app = createApp(engine, {
      appSecrets: [SECRET],
      apiTokens: [{ token: TOKEN }],
      graph: { url: fake.url, token: META_TOKEN },
      logger: pino({ level: 'silent' }),
    });
    const server = await listen(app, { port: 0 });
    try {
      const inFlight = fetch(`${server.url}/v23.0/${BUSINESS}/phone_numbers`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const closed = server.close(5000);
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      await closed;
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    } finally {
      await server.close();
      await fake.close();
    }
  });
});
