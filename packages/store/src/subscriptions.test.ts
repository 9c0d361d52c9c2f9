// Webhook subscriptions and their cursors, the same on every store: where a new one starts, the file's
// subscriptions kept in step with the file, claims that exclude each other (a lease), and an owner that lost
// its lease changing nothing. On PostgreSQL, two stores (two pools, as two `serve` instances) never claim the
// same subscription at once.
import { Engine, MemoryFactStore } from '@callpermit/core';
import { describeWithPostgres, T0, uniquePair } from '@callpermit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemorySubscriptions,
  openStore,
  type SqlStore,
  SubscriptionExists,
  type SubscriptionSpec,
  type SubscriptionStore,
} from './index.js';

interface Under {
  readonly subscriptions: SubscriptionStore;
  readonly engine: Engine;
}

const spec = (id: string, extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
  id,
  url: `http://127.0.0.1:9/${id}`,
  secret: 'a-secret-of-sixteen+',
  businesses: null,
  kinds: null,
  ...extra,
});

function suite(name: string, open: () => Under): void {
  describe(`subscriptions: ${name}`, () => {
    it('a new subscription starts after the latest change unless told where; an id is taken once', async () => {
      const { subscriptions, engine } = open();
      const pair = uniquePair();
      await engine.ingest([
        {
          type: 'UserMessaged',
          pair,
          at: T0,
          key: `${pair.business}:m1`,
          source: { kind: 'test', ref: 'x' },
          messageId: 'm1',
        },
      ]);
      const latest = (await engine.store.readChanges(0, 100_000)).at(-1)?.seq ?? 0;
      expect(latest).toBeGreaterThan(0);
      const fresh = await subscriptions.create(spec(`${pair.business}-a`, { businesses: [pair.business] }));
      expect(fresh).toMatchObject({
        origin: 'api',
        status: 'active',
        cursor: latest,
        failures: 0,
        delivered: 0,
        businesses: [pair.business],
        kinds: null,
      });
      const whole = await subscriptions.create(
        spec(`${pair.business}-b`, { after: 0, kinds: ['permission.granted'] }),
      );
      expect(whole).toMatchObject({ cursor: 0, kinds: ['permission.granted'] });
      await expect(subscriptions.create(spec(`${pair.business}-a`))).rejects.toBeInstanceOf(
        SubscriptionExists,
      );
      expect(await subscriptions.get(`${pair.business}-b`)).toEqual(whole);
      expect(await subscriptions.remove(`${pair.business}-b`)).toBe(true);
      expect(await subscriptions.get(`${pair.business}-b`)).toBeUndefined();
      await subscriptions.remove(`${pair.business}-a`);
    });

    it("the file's subscriptions follow the file: made, updated with their cursors kept, removed; the API's stay", async () => {
      const { subscriptions } = open();
      const p = uniquePair().business;
      await subscriptions.create(spec(`${p}-api`));
      await subscriptions.syncFile([spec(`${p}-f1`, { after: 5 }), spec(`${p}-f2`, { after: 7 })]);
      const owner = `${p}-owner`;
      // A delivery moves f1's cursor; a new file keeps it and changes the url.
      let claimed = await subscriptions.claim(owner, 1, 30);
      while (claimed && claimed.id !== `${p}-f1`) {
        await subscriptions.advance(claimed.id, owner, claimed.cursor, 0, 1e12);
        claimed = await subscriptions.claim(owner, 1, 30);
      }
      expect(claimed?.id).toBe(`${p}-f1`);
      await subscriptions.advance(`${p}-f1`, owner, 9, 4, 0);
      await subscriptions.syncFile([spec(`${p}-f1`, { url: 'http://127.0.0.1:9/moved', after: 0 })]);
      const mine = (await subscriptions.list()).filter((s) => s.id.startsWith(p));
      expect(mine.map((s) => [s.id, s.origin, s.cursor, s.url.endsWith('moved'), s.delivered])).toEqual([
        [`${p}-api`, 'api', expect.any(Number), false, 0],
        [`${p}-f1`, 'file', 9, true, 4],
      ]);
      await subscriptions.syncFile([]);
      await subscriptions.remove(`${p}-api`);
    });

    it('a claim holds a subscription for its lease; an owner that lost it changes nothing; failures pause and resume', async () => {
      const { subscriptions } = open();
      const p = uniquePair().business;
      // Far in the future, so no other test's subscription is due before these.
      const now = 4e9;
      await subscriptions.create(spec(`${p}-x`, { after: 0 }));
      const claimAll = async (owner: string, at: number) => {
        const got: string[] = [];
        for (
          let c = await subscriptions.claim(owner, at, 30);
          c;
          c = await subscriptions.claim(owner, at, 30)
        )
          got.push(c.id);
        return got;
      };
      expect(await claimAll('one', now)).toContain(`${p}-x`);
      // Held by `one`: nobody else gets it before the lease runs out; then `two` does.
      expect(await claimAll('two', now + 10)).not.toContain(`${p}-x`);
      expect(await claimAll('two', now + 31)).toContain(`${p}-x`);
      expect(await subscriptions.advance(`${p}-x`, 'one', 50, 3, now + 40)).toBe(false);
      expect((await subscriptions.get(`${p}-x`))?.cursor).toBe(0);
      expect(
        await subscriptions.fail(`${p}-x`, 'two', {
          failures: 1,
          failingSince: now + 31,
          nextAttemptAt: now + 33,
          lastError: 'HTTP 500',
          pause: false,
        }),
      ).toBe(true);
      expect(await claimAll('two', now + 32)).not.toContain(`${p}-x`);
      expect(await claimAll('two', now + 33)).toContain(`${p}-x`);
      await subscriptions.fail(`${p}-x`, 'two', {
        failures: 2,
        failingSince: now + 31,
        nextAttemptAt: now + 40,
        lastError: 'HTTP 500',
        pause: true,
      });
      expect(await subscriptions.get(`${p}-x`)).toMatchObject({
        status: 'paused',
        failures: 2,
        lastError: 'HTTP 500',
      });
      expect(await claimAll('two', now + 1000)).not.toContain(`${p}-x`);
      expect(await subscriptions.resume(`${p}-x`, now + 1000)).toMatchObject({
        status: 'active',
        failures: 0,
      });
      expect(await claimAll('two', now + 1000)).toContain(`${p}-x`);
      await subscriptions.remove(`${p}-x`);
    });
  });
}

const memory = new MemoryFactStore();
const memoryUnder: Under = {
  subscriptions: new MemorySubscriptions(memory),
  engine: new Engine(memory, { changeFeed: true }),
};
suite('memory', () => memoryUnder);

let pglite: SqlStore;
beforeAll(async () => {
  pglite = await openStore({ dataDir: 'memory://' });
});
afterAll(async () => {
  await pglite?.close();
});
suite('PGlite', () => ({
  subscriptions: pglite.subscriptions,
  engine: new Engine(pglite, { changeFeed: true }),
}));

describeWithPostgres('PostgreSQL', (newDatabase) => {
  let url: string;
  let stores: SqlStore[];
  beforeAll(async () => {
    url = await newDatabase();
    stores = [await openStore({ databaseUrl: url }), await openStore({ databaseUrl: url })];
  });
  afterAll(async () => {
    for (const s of stores ?? []) await s.close();
  });
  suite('PostgreSQL', () => ({
    subscriptions: (stores[0] as SqlStore).subscriptions,
    engine: new Engine(stores[0] as SqlStore, { changeFeed: true }),
  }));

  it('two instances claiming at once never get the same subscription', async () => {
    const p = uniquePair().business;
    const [a, b] = stores as [SqlStore, SqlStore];
    const ids = Array.from({ length: 12 }, (_, i) => `${p}-${i}`);
    for (const id of ids) await a.subscriptions.create(spec(id, { after: 0 }));
    const now = 5e9;
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? a : b).subscriptions.claim(`owner-${i % 2}`, now, 60),
      ),
    );
    const got = claims.flatMap((c) => (c && ids.includes(c.id) ? [c.id] : []));
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBe(12);
    for (const id of ids) await a.subscriptions.remove(id);
  });
});
