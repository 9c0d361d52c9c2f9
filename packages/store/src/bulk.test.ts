import {
  defaultPolicyBook,
  Engine,
  type FactStore,
  fold,
  initialPairState,
  type PairFact,
  pairStreamId,
  policyFor,
} from '@callpermit/core';
import { describeWithPostgres, factsFor, T0, uniquePair } from '@callpermit/testing';
import { expect, it } from 'vitest';
import { bulkInboxRows } from './bulk.js';
import { COMMIT_LOCK } from './factStore.js';
import { type InboxDelivery, type InboxRows, SqlInbox } from './inbox.js';
import { encodeBody, migrate, openSqlClient, type SqlClient, SqlStore, type StoreOptions } from './index.js';
import { bulkSuite } from './test/bulkSuite.js';

/** A store and the SQL client under it (PGlite has one connection: the suite reads through the same). */
async function opened(options: StoreOptions) {
  const sql = await openSqlClient(options);
  await migrate(sql);
  return { store: new SqlStore(sql, 'test'), sql };
}

bulkSuite('PGlite', () => opened({ dataDir: 'memory://' }));

/** Leaves `rows` probing first: it met a body the inbox held. */
async function primeToProbe(rows: InboxRows, sql: SqlClient, tag: string): Promise<void> {
  const held: InboxDelivery = {
    body: `{"held":"${tag}"}`,
    source: { file: `prime-${tag}.ndjson` },
    outcome: 'ignored',
  };
  await new SqlInbox(sql).record([held]);
  await sql.transaction((tx) => new SqlInbox(tx, rows).record([held]));
}

it('copies new bodies without probing, probes after a held one until a probe finds none, and counts alike', async () => {
  const { sql } = await opened({ dataDir: 'memory://' });
  try {
    const rows = bulkInboxRows();
    let probes = 0;
    const counting = (client: SqlClient): SqlClient => ({
      ...client,
      query: (text, params) => {
        if (/from inbox where inbox\.hash/.test(text)) probes++;
        return client.query(text, params);
      },
      transaction: (fn) => client.transaction((tx) => fn(counting(tx))),
    });
    const line = (n: number): InboxDelivery => ({
      body: `{"line":${n}}`,
      source: { file: 'replay.ndjson', line: n },
      outcome: 'applied',
    });
    const record = async (lines: number[]) => {
      const before = probes;
      const receipts = await counting(sql).transaction((tx) =>
        new SqlInbox(tx, rows).record(lines.map(line)),
      );
      return { probed: probes > before, repeated: receipts.map((r) => r.repeated) };
    };
    // New lines: copied straight in.
    expect(await record([1, 2])).toEqual({ probed: false, repeated: [false, false] });
    expect(await record([3, 4])).toEqual({ probed: false, repeated: [false, false] });
    // A line held already: the COPY fails, the batch is probed; so is the next one, which holds one too.
    expect(await record([5, 2])).toEqual({ probed: true, repeated: [false, true] });
    expect(await record([3, 6])).toEqual({ probed: true, repeated: [true, false] });
    // A probe that found none held: the next batch is copied straight in again.
    expect(await record([7, 8])).toEqual({ probed: true, repeated: [false, false] });
    expect(await record([9, 9])).toEqual({ probed: false, repeated: [false, true] });
    const stored = await sql.query<{ line: number; deliveries: number }>(
      'select source_line as line, deliveries from inbox order by id',
    );
    expect(stored.map((r) => [r.line, r.deliveries])).toEqual([
      [1, 1],
      [2, 2],
      [3, 2],
      [4, 1],
      [5, 1],
      [6, 1],
      [7, 1],
      [8, 1],
      [9, 2],
    ]);
  } finally {
    await sql.close();
  }
});

describeWithPostgres('PostgreSQL', (newDatabase) => {
  bulkSuite('PostgreSQL', async () => opened({ databaseUrl: await newDatabase() }));

  it('a live commit during a bulk batch is neither lost nor applied twice; the batch then holds the commit lock', async () => {
    const url = await newDatabase();
    const { store } = await opened({ databaseUrl: url });
    const live = await opened({ databaseUrl: url });
    const probe = await openSqlClient({ databaseUrl: url });
    try {
      const pair = uniquePair();
      const neighbour = { business: pair.business, user: '447700900777' };
      const f = factsFor(pair);
      const first = f.userMessaged(T0, 'm1');
      const theirs = f.requestSent(T0 + 5, `${pair.business}.r1`);
      const both = f.userMessaged(T0 + 7, 'm2');
      const ours = f.callConnected(T0 + 10, `${pair.business}.c1`);
      await new Engine(store).ingest([first]);

      const lockHeld = async () =>
        (
          (await probe.query('select not pg_try_advisory_lock($1) as held', [COMMIT_LOCK]))[0] as {
            held: boolean;
          }
        ).held;
      let commits = 0;
      let heldWhenRetrying: boolean | undefined;
      let waiting = false;
      let liveDone = false;
      const liveWrite = { promise: Promise.resolve() };
      await store.bulkIngest(async (txFacts) => {
        // The live writer commits to the same pair (one fact ours too) after the batch read its head.
        const raced: FactStore = Object.create(txFacts, {
          commit: {
            value: async (...args: Parameters<FactStore['commit']>) => {
              if (commits++ === 0) await new Engine(live.store).ingest([theirs, both]);
              else heldWhenRetrying = await lockHeld();
              return txFacts.commit(...args);
            },
          },
        });
        const result = await new Engine(raced).ingest([ours, both]);
        expect(commits).toBe(2);
        expect(result).toMatchObject({ applied: 1, duplicates: 1 });
        // Lost once, the batch took the commit lock before it read and folded again, and holds it to its end:
        // no other commit gets in meanwhile.
        expect(heldWhenRetrying).toBe(true);
        expect(await lockHeld()).toBe(true);
        waiting = true;
        liveWrite.promise = new Engine(live.store)
          .ingest([factsFor(neighbour).userMessaged(T0 + 20, 'n1')])
          .then(() => {
            liveDone = true;
          });
        await new Promise((r) => setTimeout(r, 300));
        expect(liveDone).toBe(false);
      });
      expect(waiting).toBe(true);
      await liveWrite.promise;
      expect(liveDone).toBe(true);

      const stream = pairStreamId(pair);
      const stored = await store.factsOf(stream);
      expect(stored.map((x) => x.key).sort()).toEqual([first, theirs, both, ours].map((x) => x.key).sort());
      const env = { policyAt: policyFor(defaultPolicyBook, pair.business), callbackEnabledAt: () => false };
      const head = (await store.heads([stream])).get(stream);
      expect(head?.version).toBe(4);
      expect(head?.state).toEqual(
        fold(initialPairState(pair.business, pair.user), [first, theirs, both, ours] as PairFact[], env),
      );
      expect((await store.factsOf(pairStreamId(neighbour))).length).toBe(1);
    } finally {
      await probe.close();
      await live.store.close();
      await store.close();
    }
  });

  // Both ways a bulk record stores new bodies: copied without a probe (a replay of new lines), and probed first
  // (after a held body), where a body stored meanwhile sends the batch's new bodies through staging.
  for (const probing of [false, true])
    it(`a body another writer stores before the COPY is counted once, not lost or doubled (${probing ? 'probed first' : 'no probe'})`, async () => {
      const url = await newDatabase();
      const { store, sql } = await opened({ databaseUrl: url });
      const other = await opened({ databaseUrl: url });
      try {
        const tag = uniquePair().business;
        const [raced, mine] = [`{"raced":"${tag}"}`, `{"mine":"${tag}"}`];
        const source = { file: `race-${tag}.ndjson` };
        let raceRun = false;
        const inboxRows = bulkInboxRows();
        if (probing) await primeToProbe(inboxRows, sql, uniquePair().business);
        const receipts = await sql.transaction(async (tx) => {
          // The other writer commits the same body just before this unit's COPY runs.
          const racing = (client: SqlClient): SqlClient => ({
            ...client,
            copyFrom: async (target, data) => {
              if (!raceRun) {
                raceRun = true;
                await other.store.inbox.record([
                  { body: raced, source: { file: 'webhook' }, outcome: 'ignored' },
                ]);
              }
              return client.copyFrom(target, data);
            },
            transaction: (fn) => client.transaction((inner) => fn(racing(inner))),
          });
          return new SqlInbox(racing(tx), inboxRows).record([
            { body: encodeBody(raced), source: { ...source, line: 1 }, outcome: 'ignored' },
            { body: encodeBody(mine), source: { ...source, line: 2 }, outcome: 'ignored' },
          ]);
        });
        expect(receipts.map((r) => [r.deliveries, r.repeated])).toEqual([
          [2, true],
          [1, false],
        ]);
        const rows = await sql.query(
          `select convert_from(body, 'UTF8') as body, source_file, deliveries from inbox
           where convert_from(body, 'UTF8') like $1 order by id`,
          [`%${tag}%`],
        );
        expect(rows).toEqual([
          { body: raced, source_file: 'webhook', deliveries: 2 },
          { body: mine, source_file: source.file, deliveries: 1 },
        ]);
      } finally {
        await other.store.close();
        await store.close();
      }
    });
});
