import { describe, expect, it } from 'vitest';
import { Engine, MemoryFactStore } from '../index.js';

const pair = { business: '109876543210987', user: '447700900123' };
const src = { kind: 'test', ref: 'smoke' } as const;

describe('smoke', () => {
  it('grants, counts, refuses', async () => {
    const engine = new Engine(new MemoryFactStore());
    const T = 1_767_168_000;
    const sent = await engine.execute(
      { type: 'SendPermissionRequest', pair, requestId: 'wamid.A', channel: 'template' },
      T,
    );
    expect(sent.ok).toBe(true);
    const again = await engine.execute(
      { type: 'SendPermissionRequest', pair, requestId: 'wamid.B', channel: 'template' },
      T + 10,
    );
    expect(again).toMatchObject({ ok: false, refusal: { code: 138009, retryAt: T + 86400 } });
    await engine.ingest([
      { type: 'RequestDelivered', pair, at: T + 5, key: 'd', source: src, requestId: 'wamid.A' },
      {
        type: 'PermissionGranted',
        pair,
        at: T + 60,
        key: 'g',
        source: src,
        permanent: false,
        via: 'request',
        requestId: 'wamid.A',
        expiresAt: T + 60 + 604800,
      },
    ]);
    const view = await engine.callPermissions(pair, T + 100);
    expect(view.permission).toEqual({ status: 'temporary', expiration_time: T + 60 + 604800 });
    expect(await engine.requests(pair, T + 100)).toEqual([
      {
        id: 'wamid.A',
        state: 'accepted',
        channel: 'template',
        sent_at: T,
        delivered_at: T + 5,
        answered_at: T + 60,
        expires_at: T + 60 + 604800,
      },
    ]);
    expect((await engine.callPermissions(pair, T + 60 + 604800)).permission).toEqual({
      status: 'no_permission',
    });
    const early = await engine.callPermissions(pair, T + 30);
    expect(early.permission.status).toBe('no_permission');
  });
});
