// FactStore.exclusive across processes: on PostgreSQL two stores (two pools, as two processes would have)
// on one database exclude each other; the lock dies with the session that held it.
import { describeWithPostgres, uniquePair } from '@callpermit/testing';
import pg from 'pg';
import { expect, it } from 'vitest';
import { openStore } from './index.js';
import { EXCLUSIVE_LOCK_SPACE } from './pgClient.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithPostgres('exclusive on PostgreSQL', (newDatabase) => {
  it('two stores on one database never hold one key at once; other keys do not wait', async () => {
    const url = await newDatabase();
    const [one, two] = [await openStore({ databaseUrl: url }), await openStore({ databaseUrl: url })];
    try {
      const key = `${uniquePair().business}/447700900001`;
      let inside = 0;
      let most = 0;
      const hold = async () => {
        inside++;
        most = Math.max(most, inside);
        await pause(40);
        inside--;
      };
      await Promise.all([
        one.exclusive(key, hold),
        two.exclusive(key, hold),
        one.exclusive(key, hold),
        two.exclusive(key, hold),
      ]);
      expect(most).toBe(1);
      // Another key is free while this one is held by the other store.
      let freeWhileHeld = false;
      await Promise.all([
        one.exclusive(key, () => pause(100)),
        pause(20).then(() =>
          two.exclusive(`${key}x`, async () => {
            freeWhileHeld = true;
          }),
        ),
      ]);
      expect(freeWhileHeld).toBe(true);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('a lock held by a session that dies is released', async () => {
    const url = await newDatabase();
    const store = await openStore({ databaseUrl: url });
    const crashed = new pg.Client({ connectionString: url });
    await crashed.connect();
    try {
      const key = `${uniquePair().business}/447700900001`;
      await crashed.query('select pg_advisory_lock($1, hashtext($2))', [EXCLUSIVE_LOCK_SPACE, key]);
      let got = false;
      const waiting = store.exclusive(key, async () => {
        got = true;
      });
      await pause(100);
      expect(got, 'the key was taken while another session held it').toBe(false);
      // The holder's connection ends without unlocking, as a killed process's would.
      await crashed.end();
      await waiting;
      expect(got).toBe(true);
    } finally {
      await store.close();
    }
  });
});
