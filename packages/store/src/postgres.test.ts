import { describeWithPostgres, factStoreContract, uniquePair } from '@callpermit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type InboxDelivery, openStore, type SqlStore } from './index.js';
import { sqlStoreSuite } from './test/sqlStoreSuite.js';

describeWithPostgres('PostgreSQL', (newDatabase) => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await openStore({ databaseUrl: await newDatabase() });
  });
  afterAll(async () => {
    await store?.close();
  });
  factStoreContract(
    'PostgreSQL',
    async () => store,
    async () => {},
  );
  sqlStoreSuite('PostgreSQL', () => store);

  // Two units of work that store the same new bodies in opposite orders deadlock on the inbox's unique hash;
  // PostgreSQL aborts one to let the other go on, and the store runs the aborted one again: both callers get
  // their answer, each body is stored once and counted twice.
  it('a unit of work aborted to break a deadlock runs again, and both units commit', async () => {
    const tag = uniquePair().business;
    const delivery = (name: string): InboxDelivery => ({
      body: `{"deadlock":"${name}","tag":"${tag}"}`,
      source: { file: 'webhook' },
      outcome: 'ignored',
    });
    let attempts = 0;
    let arrived = 0;
    let release = () => {};
    const bothHoldTheirFirst = new Promise<void>((resolve) => {
      release = resolve;
    });
    const unit = (first: string, second: string) =>
      store.atomically(async (_facts, inbox) => {
        attempts++;
        await inbox.record([delivery(first)]);
        if (++arrived === 2) release();
        await bothHoldTheirFirst;
        return inbox.record([delivery(second)]);
      });
    const [a, b] = await Promise.all([unit('a', 'b'), unit('b', 'a')]);
    // At least one unit ran again. More is possible: the unit run again may store its first body before the
    // survivor, woken by the abort, stores its second, and the two deadlock once more (seen under load).
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(a[0]?.repeated || b[0]?.repeated).toBe(true);
    const ours: { body: string; deliveries: number }[] = [];
    for await (const e of store.inbox.iterate({ containing: [tag] }))
      ours.push({ body: e.body, deliveries: e.deliveries });
    expect(ours.map((e) => e.deliveries)).toEqual([2, 2]);
    expect(ours.map((e) => JSON.parse(e.body).deadlock).sort()).toEqual(['a', 'b']);
  });
});
