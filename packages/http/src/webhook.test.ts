// POST /webhook and the verification handshake, over real loopback HTTP and an embedded store (PGlite): what
// is acknowledged is stored (inbox + facts, one transaction); what is not signed is not.
import { webhookSignature } from '@callpermit/cloud-api';
import type { SqlStore } from '@callpermit/store';
import { BUSINESS, payloadOf, reply, status, USER, userText } from '@callpermit/testing/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
  nowSeconds,
  OLD_SECRET,
  SECRET,
  startService,
  type TestService,
  VERIFY_TOKEN,
} from './test/service.js';

let service: TestService;
let store: SqlStore;

beforeAll(async () => {
  service = await startService({ store: 'pglite', appSecrets: [SECRET, OLD_SECRET] });
  store = service.store as SqlStore;
});
afterAll(async () => {
  await service?.close();
});

async function inbox() {
  const entries = [];
  for await (const entry of store.inbox.iterate()) entries.push(entry);
  return entries;
}

const grant = (id: string, at = nowSeconds() - 60) =>
  payloadOf(reply(id, at, { response: 'accept', permanent: false, expiration: at + 6 * 86_400 }));

describe('GET /webhook: Meta’s verification handshake', () => {
  it('echoes hub.challenge as text/plain when the mode is subscribe and the token is ours', async () => {
    const ok = await fetch(
      `${service.url}/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe('1158201444');
  });

  it('answers 403 to a wrong token, another mode or a missing challenge', async () => {
    for (const query of [
      `hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`,
      `hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`,
      `hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}`,
      '',
    ])
      expect((await fetch(`${service.url}/webhook?${query}`)).status).toBe(403);
  });
});

describe('POST /webhook', () => {
  it('a signed delivery is stored verbatim with its facts before the 200, and the state answers from it', async () => {
    const body = grant('wamid.GRANT1');
    const answer = await service.deliver(body);
    expect(answer.status).toBe(200);
    expect(await bodyOf(answer)).toEqual({ outcome: 'applied' });
    const kept = (await inbox()).find((e) => e.body === body);
    expect(kept).toMatchObject({ source: { file: 'webhook' }, outcome: 'applied', deliveries: 1 });
    const state = await service.call(`/v1/${BUSINESS}/call_permissions?user_wa_id=${USER}`);
    expect((await bodyOf(state)).permission.status).toBe('temporary');
  });

  it('401 and nothing stored when the signature is missing, wrong, or over other bytes', async () => {
    const body = grant('wamid.UNSIGNED');
    const before = await store.inbox.counts();
    const reencoded = JSON.stringify(JSON.parse(body), null, 1);
    const attempts: Record<string, string>[] = [
      {},
      { 'x-hub-signature-256': webhookSignature(body, 'not-our-secret') },
      { 'x-hub-signature-256': webhookSignature(reencoded, SECRET) },
      { 'x-hub-signature-256': 'sha256=zz' },
    ];
    for (const headers of attempts) {
      const answer = await fetch(`${service.url}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      expect(answer.status).toBe(401);
      expect((await bodyOf(answer)).error.code).toBe(190);
    }
    expect(await store.inbox.counts()).toEqual(before);
    expect((await inbox()).some((e) => e.body === body)).toBe(false);
  });

  it('a rotated secret loses no delivery: the old and the new secret are both accepted', async () => {
    const signedOld = grant('wamid.OLD', nowSeconds() - 30);
    const signedNew = payloadOf(userText('wamid.NEWSECRET', nowSeconds() - 20));
    expect((await service.deliver(signedOld, OLD_SECRET)).status).toBe(200);
    expect((await service.deliver(signedNew, SECRET)).status).toBe(200);
    const bodies = (await inbox()).map((e) => e.body);
    expect(bodies).toContain(signedOld);
    expect(bodies).toContain(signedNew);
  });

  it('malformed JSON is a 400 with the reason, and kept as rejected', async () => {
    const body = '{"object":"whatsapp_business_account","entry":[';
    const answer = await service.deliver(body);
    expect(answer.status).toBe(400);
    expect((await bodyOf(answer)).error.message).toMatch(/invalid JSON/);
    expect((await inbox()).find((e) => e.body === body)).toMatchObject({ outcome: 'rejected' });
  });

  it('413 above 3 MB, and nothing stored', async () => {
    const before = await store.inbox.counts();
    const big = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [],
      pad: 'x'.repeat(3 * 1024 * 1024),
    });
    const answer = await service.deliver(big);
    expect(answer.status).toBe(413);
    expect(await store.inbox.counts()).toEqual(before);
  });

  it('413 for a chunked body (no Content-Length) above the limit, and nothing stored; one under it is stored', async () => {
    const small = await startService({ store: 'pglite', maxWebhookBytes: 4096 });
    try {
      const chunked = (body: string) =>
        fetch(`${small.url}/webhook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': webhookSignature(body, SECRET),
          },
          // A stream of unknown length: sent with Transfer-Encoding: chunked, counted as it arrives.
          body: new Blob([body]).stream(),
          duplex: 'half',
        } as RequestInit);
      const big = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(8192) });
      const refused = await chunked(big);
      expect(refused.status).toBe(413);
      expect(await (small.store as SqlStore).inbox.counts()).toMatchObject({
        applied: 0,
        ignored: 0,
        rejected: 0,
      });
      const body = payloadOf(userText('wamid.CHUNKED', nowSeconds() - 10));
      const accepted = await chunked(body);
      expect(accepted.status).toBe(200);
      expect(await bodyOf(accepted)).toEqual({ outcome: 'applied' });
    } finally {
      await small.close();
    }
  });

  it('every answer carries the request id: an acknowledgement, a refusal, a 413', async () => {
    const body = payloadOf(userText('wamid.TRACED', nowSeconds() - 10));
    const traced = (init: RequestInit) =>
      fetch(`${service.url}/webhook`, {
        method: 'POST',
        ...init,
        headers: { 'content-type': 'application/json', 'x-request-id': 'trace-webhook-7', ...init.headers },
      });
    const ok = await traced({ body, headers: { 'x-hub-signature-256': webhookSignature(body, SECRET) } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('trace-webhook-7');
    const unsigned = await traced({ body });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('x-request-id')).toBe('trace-webhook-7');
    expect((await bodyOf(unsigned)).error.fbtrace_id).toBe('trace-webhook-7');
    const made = await service.deliver(body);
    expect(made.headers.get('x-request-id')).toMatch(/^[\w.:-]{1,64}$/);
  });

  it('a redelivery is acknowledged and changes nothing; a body with nothing relevant is kept and acknowledged', async () => {
    const body = payloadOf(userText('wamid.TWICE', nowSeconds() - 10));
    expect(await bodyOf(await service.deliver(body))).toEqual({ outcome: 'applied' });
    const facts = (await store.readAll(0, 100_000)).length;
    const again = await service.deliver(body);
    expect(again.status).toBe(200);
    expect(await bodyOf(again)).toEqual({ outcome: 'duplicate' });
    expect((await store.readAll(0, 100_000)).length).toBe(facts);
    expect((await inbox()).find((e) => e.body === body)?.deliveries).toBe(2);

    const irrelevant = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        { id: '1', changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED' } }] },
      ],
    });
    expect(await bodyOf(await service.deliver(irrelevant))).toEqual({ outcome: 'ignored' });
    expect((await inbox()).find((e) => e.body === irrelevant)).toMatchObject({ outcome: 'ignored' });
  });

  it('a body the translator refuses is acknowledged as rejected with the field and reason, and kept', async () => {
    const line = JSON.parse(status('wamid.X', 'sent', nowSeconds())) as { payload: Record<string, unknown> };
    const body = JSON.stringify(line.payload).replace(/"timestamp":"\d+"/, '"timestamp":"1767168000000"');
    const answer = await service.deliver(body);
    expect(answer.status).toBe(200);
    const ack = await bodyOf(answer);
    expect(ack.outcome).toBe('rejected');
    expect(ack.reason).toMatch(/statuses\[0\]\.timestamp/);
    expect((await inbox()).find((e) => e.body === body)).toMatchObject({ outcome: 'rejected' });
  });

  it('concurrent deliveries for one pair lose no update (optimistic concurrency retries, never a 500)', async () => {
    const user = '447700900777';
    const at = nowSeconds() - 500;
    const bodies = Array.from({ length: 16 }, (_, i) => payloadOf(userText(`wamid.CONC${i}`, at + i, user)));
    const answers = await Promise.all(bodies.map((b) => service.deliver(b)));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
    const state = await service.engine.state({ business: BUSINESS, user }, nowSeconds());
    expect(state.factCount).toBe(16);
    expect(state.lastUserActivityAt).toBe(at + 15);
  });
});
