import {
  initialPairState,
  type Pair,
  type PairChange,
  pairStateToJson,
  pairStreamId,
} from '@callpermit/core';
import { describeWithPostgres, T0, uniquePair } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { migrate, migrations, openSqlClient, type SqlClient, SqlStore, type StoreOptions } from './index.js';

// Migration 7 moves "when does this head next change with no fact" from an index on heads into the `due` table.
// A database at schema 6 already holds heads that are due: after the step the materialiser must find the same
// streams, in the same order, and the migrated rows must follow the heads from then on. Migration 8 slims the
// outbox's rows: what schema 7 stored must read back as the same changes.

/** Instants at which the test asks what is due: before, between and after the heads' next changes. */
const ASKED = [T0 - 1, T0, T0 + 10, T0 + 20, T0 + 1_000];

async function dueAtSchema6(client: SqlClient, now: number, limit: number): Promise<string[]> {
  const rows = await client.query<{ stream: string }>(
    'select stream from heads where next_change_at <= $1 order by next_change_at, stream limit $2',
    [now, limit],
  );
  return rows.map((r) => r.stream);
}

/** A new database of `options`, migrated up to schema `version` only. */
async function clientAtSchema(options: StoreOptions, version: number): Promise<SqlClient> {
  const client = await openSqlClient(options);
  try {
    expect(
      await migrate(
        client,
        migrations.filter((m) => m.version <= version),
      ),
    ).toBe(version);
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

function migrationSuite(name: string, options: () => Promise<StoreOptions>): void {
  it(`${name}: a database at schema 6 with due heads finds the same due streams after migration 7, and they move on`, async () => {
    const client = await clientAtSchema(await options(), 6);
    try {
      // Heads as schema 6 held them: some due (two at one instant, so the order by stream shows), one the feed
      // follows with nothing due, one it does not follow.
      const pairs = Array.from({ length: 6 }, () => uniquePair());
      const next = [T0 + 20, T0 + 10, T0 + 10, T0 + 500, null, null];
      const until = [T0, T0, T0, T0, T0, null];
      for (const [i, pair] of pairs.entries()) {
        await client.query(
          `insert into heads (stream, business, version, state, last_at, changes_until, next_change_at)
           values ($1, $2, 1, $3::json, $4, $5, $6)`,
          [
            pairStreamId(pair),
            pair.business,
            JSON.stringify(pairStateToJson(initialPairState(pair.business, pair.user))),
            T0,
            until[i],
            next[i],
          ],
        );
      }
      const before = await Promise.all(ASKED.map((now) => dueAtSchema6(client, now, 100)));
      expect(before[3]).toHaveLength(3);

      expect(await migrate(client)).toBe(migrations.length);
      const store = new SqlStore(client, 'test');
      expect(await Promise.all(ASKED.map((now) => store.dueStreams(now, 100)))).toEqual(before);
      expect(await store.dueStreams(T0 + 1_000, 2)).toEqual(before[4]?.slice(0, 2));
      const [index] = await client.query<{ present: boolean }>(
        "select to_regclass('heads_next_change_at') is not null as present",
      );
      expect(index?.present).toBe(false);

      // A migrated due head materialised (its next change moves on) and one cleared: the due rows follow.
      const ids = pairs.map((pair) => pairStreamId(pair));
      const state = initialPairState('b', 'u');
      await store.commit(
        [
          { stream: ids[1] as string, nextChangeAt: T0 + 700 },
          { stream: ids[0] as string, nextChangeAt: null },
        ].map(({ stream, nextChangeAt }) => ({
          stream,
          expectedVersion: 1,
          facts: [],
          state,
          checkpoints: [],
          keepState: true,
          changes: [],
          changesUntil: T0 + 10,
          nextChangeAt,
        })),
      );
      expect(await store.dueStreams(T0 + 1_000, 100)).toEqual([ids[2], ids[3], ids[1]]);
    } finally {
      await client.close();
    }
  });

  it(`${name}: outbox rows written at schema 7 read back as the same changes after migration 8, and their ids stay held`, async () => {
    const client = await clientAtSchema(await options(), 7);
    try {
      const [a, b] = [uniquePair(), uniquePair()];
      const told = [toldChange(a, T0, 'wamid.A1'), toldChange(b, T0 + 5), toldChange(a, T0 + 9)];
      for (const pair of [a, b])
        await client.query(
          `insert into heads (stream, business, version, state, last_at, changes_until)
           values ($1, $2, 1, $3::json, $4, $4)`,
          [
            pairStreamId(pair),
            pair.business,
            JSON.stringify(pairStateToJson(initialPairState(pair.business, pair.user))),
            T0 + 9,
          ],
        );
      // As schema 7 wrote them: the whole change in `data`.
      for (const c of told)
        await client.query(
          'insert into changes (id, stream, business, at, kind, data) values ($1, $2, $3, $4, $5, $6::json)',
          [c.id, pairStreamId(c), c.business, c.at, c.kind, JSON.stringify(c)],
        );

      expect(await migrate(client)).toBe(migrations.length);
      const store = new SqlStore(client, 'test');
      const json = (changes: readonly PairChange[]) =>
        changes.map(({ seq: _, ...change }: PairChange & { seq?: number }) => JSON.stringify(change));
      expect(json(await store.readChanges(0, 100, [a.business, b.business]))).toEqual(json(told));
      const ofA = await store.changesOf([{ stream: pairStreamId(a), from: T0 + 1 }]);
      expect(json(ofA.get(pairStreamId(a)) ?? [])).toEqual(json([told[2] as PairChange]));

      // Told again with a new one: the held id is skipped, the new change follows the migrated ones.
      const again = toldChange(a, T0 + 20, 'wamid.A2');
      await store.commit([
        {
          stream: pairStreamId(a),
          expectedVersion: 1,
          facts: [],
          state: initialPairState(a.business, a.user),
          checkpoints: [],
          keepState: true,
          changes: [told[0] as PairChange, again],
          changesUntil: T0 + 20,
          nextChangeAt: null,
        },
      ]);
      expect(json(await store.readChanges(0, 100, [a.business, b.business]))).toEqual(json([...told, again]));
    } finally {
      await client.close();
    }
  });
}

/** A change as core makes it (its keys in core's order), with a subject when given one. */
function toldChange(pair: Pair, at: number, subject?: string): PairChange {
  const { business, user } = pair;
  const id = `chg_${pairStreamId(pair)}_${at}`;
  const cause = { kind: 'fact', type: 'UserMessaged', key: `m${at}` } as const;
  return subject === undefined
    ? {
        id,
        kind: 'customer_service_window.opened',
        at,
        business,
        user,
        cause,
        data: { open: true, until: at + 9 },
      }
    : {
        id,
        kind: 'request.delivered',
        at,
        business,
        user,
        subject,
        cause,
        data: { request_id: subject, state: 'delivered' },
      };
}

describe('migrations', () => {
  migrationSuite('PGlite', async () => ({ dataDir: 'memory://' }));
});

describeWithPostgres('migrations on PostgreSQL', (newDatabase) => {
  migrationSuite('PostgreSQL', async () => ({ databaseUrl: await newDatabase() }));
});
