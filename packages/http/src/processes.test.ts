// Two `callpermit serve` processes on one throwaway PostgreSQL: racing guard requests never exceed a limit,
// and a webhook one instance acknowledged is visible on the other at once. Plus `serve`'s refusals to start.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookSignature } from '@callpermit/cloud-api';
import { describeWithPostgres } from '@callpermit/testing';
import { FakeGraph } from '@callpermit/testing/graph';
import { refusedServe, type ServeProcess, spawnCli, startServe } from '@callpermit/testing/serve';
import { BUSINESS, payloadOf, reply, userText } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, META_TOKEN, nowSeconds, SECRET, TOKEN } from './test/service.js';

const baseEnv = (graphUrl: string): NodeJS.ProcessEnv => ({
  ...process.env,
  CALLPERMIT_APP_SECRET: SECRET,
  CALLPERMIT_API_TOKENS: TOKEN,
  CALLPERMIT_GRAPH_URL: graphUrl,
  CALLPERMIT_GRAPH_TOKEN: META_TOKEN,
  CALLPERMIT_LOG_LEVEL: 'warn',
  CALLPERMIT_DATABASE_URL: '',
});

const call = (instance: ServeProcess, path: string, init: RequestInit = {}) =>
  fetch(`${instance.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
const deliver = (instance: ServeProcess, body: string) =>
  fetch(`${instance.url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': webhookSignature(body, SECRET) },
    body,
  });

describeWithPostgres('two serve processes on one PostgreSQL', (newDatabase) => {
  let fake: FakeGraph;
  let a: ServeProcess;
  let b: ServeProcess;

  beforeAll(async () => {
    fake = await FakeGraph.start();
    const url = await newDatabase();
    const policy = join(mkdtempSync(join(tmpdir(), 'callpermit-serve-')), 'policy.json');
    writeFileSync(
      policy,
      JSON.stringify({ connected_call_limits: [{ time_period: 'PT24H', max_allowed: 2 }] }),
    );
    const env = baseEnv(fake.url);
    // The first opens (and migrates) the database and keeps the policy; the second finds both.
    a = await startServe(['--database-url', url, '--policy', policy], env);
    b = await startServe(['--database-url', url, '--policy', policy], env);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await fake?.close();
  });

  it('a webhook acknowledged by one instance is visible on the other at once', async () => {
    const user = '447700933301';
    const at = nowSeconds() - 60;
    const grant = payloadOf(
      reply('wamid.PGRANT', at, { response: 'accept', permanent: false, expiration: at + 86_400 }, user),
    );
    expect((await deliver(a, grant)).status).toBe(200);
    const seen = await bodyOf(await call(b, `/v1/${BUSINESS}/call_permissions?user_wa_id=${user}`));
    expect(seen.permission).toEqual({ status: 'temporary', expiration_time: at + 86_400 });
  });

  it('racing connect calls on both instances never exceed the limit: exactly two reach the Graph API', async () => {
    const user = '447700933302';
    const at = nowSeconds() - 60;
    await deliver(
      a,
      payloadOf(
        reply('wamid.PRACE', at, { response: 'accept', permanent: false, expiration: at + 86_400 }, user),
      ),
    );
    fake.delayMs = 60;
    let answers: Response[];
    try {
      answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(i % 2 === 0 ? a : b, `/v23.0/${BUSINESS}/calls`, {
            method: 'POST',
            body: JSON.stringify({ messaging_product: 'whatsapp', to: user, action: 'connect' }),
          }),
        ),
      );
    } finally {
      fake.delayMs = 0;
    }
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, ...Array(10).fill(400)]);
    expect(fake.on('calls').filter((r) => r.body.includes(user))).toHaveLength(2);
    for (const refused of answers.filter((r) => r.status === 400))
      expect((await bodyOf(refused)).error.code).toBe(138012);
  });

  it('racing permission requests on both instances: exactly one per 24 h is sent', async () => {
    const user = '447700933303';
    await deliver(b, payloadOf(userText('wamid.PWIN', nowSeconds() - 30, user)));
    fake.delayMs = 60;
    let answers: Response[];
    try {
      answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call(i % 2 === 0 ? a : b, `/${BUSINESS}/messages`, {
            method: 'POST',
            body: JSON.stringify({
              messaging_product: 'whatsapp',
              to: user,
              type: 'interactive',
              interactive: { type: 'call_permission_request', action: { name: 'call_permission_request' } },
            }),
          }),
        ),
      );
    } finally {
      fake.delayMs = 0;
    }
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400]);
    expect(fake.on('messages').filter((r) => r.body.includes(user))).toHaveLength(1);
  });

  it('SIGTERM stops an instance cleanly (exit 0) while the other keeps serving', async () => {
    expect(await a.stop()).toBe(0);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
  });
});

describe('serve refuses to start', () => {
  const env = {
    ...process.env,
    CALLPERMIT_APP_SECRET: '',
    CALLPERMIT_API_TOKENS: '',
    CALLPERMIT_DATABASE_URL: '',
  };

  it('without an app secret and API tokens, naming them', async () => {
    const { code, output } = await refusedServe(['--db', 'memory://'], env);
    expect(code).toBe(1);
    expect(output).toMatch(
      /^callpermit: refusing to start without CALLPERMIT_APP_SECRET and CALLPERMIT_API_TOKENS/,
    );
  });

  it('with --insecure-dev on an address other machines reach', async () => {
    const { code, output } = await refusedServe(
      ['--db', 'memory://', '--insecure-dev', '--host', '0.0.0.0'],
      env,
    );
    expect(code).toBe(1);
    expect(output).toMatch(/--insecure-dev listens on loopback only/);
  });

  it('with a token too short to be safe', async () => {
    const { code, output } = await refusedServe(['--db', 'memory://'], {
      ...env,
      CALLPERMIT_APP_SECRET: SECRET,
      CALLPERMIT_API_TOKENS: 'short',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/CALLPERMIT_API_TOKENS entry 1: a token must be at least 16 characters long/);
  });
});

/** A port free on loopback now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('serve whose stdout reader goes away', () => {
  it('starts, serves and stops cleanly on SIGTERM when nothing reads its stdout any more', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'callpermit-serve-epipe-'));
    // `--insecure-dev` prints the run's token and example commands to stdout besides its log lines: the reader
    // (a log collector that stopped, `| head`) has gone.
    const { child, done } = spawnCli(
      ['serve', '--insecure-dev', '--port', String(port), '--db', join(dir, 'db')],
      { ...baseEnv('http://127.0.0.1:9'), CALLPERMIT_LOG_LEVEL: 'info' },
    );
    // Closed before serve prints anything: every line it writes to stdout meets a reader that has gone.
    child.stdout?.destroy();
    try {
      const url = `http://127.0.0.1:${port}`;
      let up = false;
      for (let waited = 0; !up && waited < 60_000 && child.exitCode === null; waited += 250) {
        up = await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!up) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(up, `serve stopped answering (exit ${child.exitCode})`).toBe(true);
      for (let i = 0; i < 10; i++) expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    const finished = await done;
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toBe('');
  }, 120_000);
});
