// Slow clients are cut, not served for ever: a request whose headers trickle in (slowloris), a body sent a byte
// at a time, and an idle keep-alive connection each end within the timeouts `listen` sets, while other callers
// are served meanwhile. Raw sockets over loopback.
import { rawClient, trickle } from '@callpermit/testing/socket';
import { payloadOf, userText } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowSeconds, startService, type TestService } from './test/service.js';

const TIMEOUTS = { headersMs: 600, requestMs: 1200, keepAliveMs: 400 };

describe('slow clients', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService({ timeouts: TIMEOUTS });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('headers trickled in (slowloris) are cut after the headers timeout; others are served meanwhile', async () => {
    const client = await rawClient(service.url);
    const sending = trickle(
      client.socket,
      `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Slow: y\r\n'.repeat(40)}\r\n`,
      100,
    );
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const after = await client.closed;
    await sending;
    expect(after).toBeGreaterThan(TIMEOUTS.headersMs - 50);
    expect(after).toBeLessThan(TIMEOUTS.headersMs + 1500);
    expect(client.received()).not.toContain('200 OK');
  });

  it('a body sent a byte at a time is cut after the request timeout with 408, and nothing is stored', async () => {
    const body = payloadOf(userText('wamid.SLOWBODY', nowSeconds() - 5));
    const client = await rawClient(service.url);
    client.socket.write(
      `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const sending = trickle(client.socket, body, 50);
    const after = await client.closed;
    await sending;
    expect(after).toBeGreaterThan(TIMEOUTS.requestMs - 50);
    expect(after).toBeLessThan(TIMEOUTS.requestMs + 1500);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect((await service.store?.inbox.counts())?.applied).toBe(0);
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const client = await rawClient(service.url);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const after = await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(after).toBeGreaterThan(TIMEOUTS.keepAliveMs - 50);
    expect(after).toBeLessThan(TIMEOUTS.keepAliveMs + 1500);
  });
});
