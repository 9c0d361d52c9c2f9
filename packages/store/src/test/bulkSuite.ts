import {
  DuplicateFactError,
  defaultPolicyBook,
  Engine,
  type Fact,
  type FactStore,
  fold,
  initialPairState,
  type Pair,
  type PairChange,
  pairStreamId,
  policyFor,
  type StoredChange,
  type StreamCommit,
} from '@callpermit/core';
import {
  batches,
  callbackChanged,
  factsFor,
  historyFacts,
  historySteps,
  T0,
  uniqueBusiness,
  uniquePair,
} from '@callpermit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeBody,
  type InboxDelivery,
  type InboxReceipt,
  type SqlClient,
  type SqlStore,
} from '../index.js';

/** A unit of work: `atomically` or `bulkIngest` of a store. */
type Unit = (fn: Parameters<SqlStore['atomically']>[0]) => Promise<unknown>;

/** Everything stored for these businesses and this source file, as comparable rows (no ids or revisions). */
async function rowsOf(client: SqlClient, businesses: readonly string[], file: string) {
  const streams = `(select stream from heads where business = any($1::text[]))`;
  return {
    facts: await client.query(
      `select stream, version, type, at, rank, key, data::text as data from facts
       where stream in ${streams} order by position`,
      [businesses],
    ),
    heads: await client.query(
      `select stream, business, version, state::text as state, last_at, stale_from, changes_until,
              next_change_at from heads
       where business = any($1::text[]) order by stream`,
      [businesses],
    ),
    due: await client.query(
      `select d.stream, d.next_change_at from due d join heads h on h.stream = d.stream
       where h.business = any($1::text[]) order by d.stream`,
      [businesses],
    ),
    changes: await client.query(
      `select id, stream, business, at, kind, data::text as data from changes
       where business = any($1::text[]) order by seq`,
      [businesses],
    ),
    checkpoints: await client.query(
      `select stream, at, rank, key, state::text as state from checkpoints
       where stream in ${streams} order by stream, at, rank, key`,
      [businesses],
    ),
    inbox: await client.query(
      `select hash, encode(body, 'escape') as body, source_line, outcome, reason, deliveries from inbox
       where source_file = $1 order by id`,
      [file],
    ),
  };
}

/** A capture line per fact: the inbox keeps its text. */
function linesOf(facts: readonly Fact[], file: string, from: number): InboxDelivery[] {
  return facts.map((fact, i) => ({
    body: i % 2 === 0 ? JSON.stringify(fact) : encodeBody(JSON.stringify(fact)),
    source: { file, line: from + i },
    outcome: 'applied',
  }));
}

/** What a receipt says apart from the row id, which differs from store to store. */
const receiptShape = (r: InboxReceipt) => ({ hash: r.hash, deliveries: r.deliveries, repeated: r.repeated });

/**
 * `due` holds a row at or before the instant of every head that has one, whichever statement moved the head
 * last, and `dueStreams` answers exactly the heads due, earliest first, however few it is asked for: at the
 * middle instant of the heads' and at the end of time. A look brings the rows it passes of heads not due yet
 * up to their instants, and drops the rows of heads with none. Returns how many heads had an instant.
 */
async function expectDueFollowsHeads(store: SqlStore, sql: SqlClient): Promise<number> {
  const dueRows = async () =>
    new Map(
      (
        await sql.query<{ stream: string; next_change_at: number }>('select stream, next_change_at from due')
      ).map((d) => [d.stream, d.next_change_at]),
    );
  const timed = await sql.query<{ stream: string; at: number }>(
    'select stream, next_change_at as at from heads where next_change_at is not null order by at, stream collate "C"',
  );
  const held = await dueRows();
  for (const h of timed) expect(held.get(h.stream)).toBeLessThanOrEqual(h.at);
  const dueAt = (now: number, limit: number) => store.atomically((facts) => facts.dueStreams(now, limit));
  const middle = timed[Math.floor(timed.length / 2)]?.at ?? T0;
  const dueInMiddle = timed.filter((h) => h.at <= middle).map((h) => h.stream);
  expect(await dueAt(middle, 3)).toEqual(dueInMiddle.slice(0, 3));
  expect(await dueAt(middle, 100_000)).toEqual(dueInMiddle);
  const raised = await dueRows();
  for (const h of timed) {
    const before = held.get(h.stream) as number;
    if (h.at > middle) expect(raised.get(h.stream)).toBe(before <= middle ? h.at : before);
  }
  expect(await dueAt(Number.MAX_SAFE_INTEGER, 100_000)).toEqual(timed.map((h) => h.stream));
  expect([...(await dueRows()).keys()].sort()).toEqual(timed.map((h) => h.stream).sort());
  return timed.length;
}

/**
 * The bulk unit of work (`bulkIngest`): the same rows as ordinary units of work, duplicates kept out by the
 * keys, and nothing left by a batch that fails. `open` gives a fresh store and the SQL client beside it.
 */
export function bulkSuite(name: string, open: () => Promise<{ store: SqlStore; sql: SqlClient }>): void {
  describe(`bulkIngest: ${name}`, () => {
    it('stores exactly what ordinary units of work store, for any histories, arrival orders and batches', async () => {
      const ordinary = await open();
      const bulk = await open();
      let dueSeen = 0;
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.array(historySteps({ days: 12, maxFacts: 25 }), { minLength: 1, maxLength: 4 }),
            fc.array(fc.tuple(fc.integer({ min: 0, max: 12 * 24 }), fc.boolean()), { maxLength: 3 }),
            fc.array(fc.nat(), { maxLength: 6 }),
            fc.integer({ min: 1, max: 2 ** 31 - 1 }),
            async (histories, callbackChanges, cuts, seed) => {
              const business = uniqueBusiness();
              const file = `bulk-${business}.ndjson`;
              const facts: Fact[] = histories.flatMap((steps, i) =>
                historyFacts({ business, user: `4477009${String(i).padStart(5, '0')}` }, steps),
              );
              for (const [hour, enabled] of callbackChanges)
                facts.push(callbackChanged(business, T0 + hour * 3600, enabled));
              // Arrival order: shuffled (late facts re-fold), and some facts delivered twice.
              const arrived = fc.sample(fc.shuffledSubarray(facts, { minLength: facts.length }), {
                seed,
                numRuns: 1,
              })[0] as Fact[];
              arrived.push(...arrived.filter((_, i) => i % 5 === 0));
              const receipts: Record<string, unknown[]> = { ordinary: [], bulk: [] };
              for (const [label, store, unit] of [
                ['ordinary', ordinary.store, (fn) => ordinary.store.atomically(fn)],
                ['bulk', bulk.store, (fn) => bulk.store.bulkIngest(fn)],
              ] as [string, SqlStore, Unit][]) {
                const engine = new Engine(store, { checkpointEvery: 3, changeFeed: true });
                let line = 1;
                for (const batch of batches(arrived, cuts)) {
                  await unit(async (txFacts, inbox) => {
                    await engine.withStore(txFacts).ingest(batch);
                    const stored = await inbox.record(linesOf(batch, file, line));
                    receipts[label]?.push(...stored.map(receiptShape));
                  });
                  line += batch.length;
                }
              }
              expect(receipts.bulk).toEqual(receipts.ordinary);
              const [a, b] = [
                await rowsOf(ordinary.sql, [business], file),
                await rowsOf(bulk.sql, [business], file),
              ];
              expect(b).toEqual(a);
              dueSeen += await expectDueFollowsHeads(bulk.store, bulk.sql);
              expect(b.facts).toHaveLength(facts.length);
              expect(b.changes.length).toBeGreaterThan(0);
            },
          ),
          { numRuns: 12, seed: 1214 },
        );
        // Some histories leave nothing due; the twelve together must hold due heads, or the check above is idle.
        expect(dueSeen).toBeGreaterThan(0);
      } finally {
        await ordinary.store.close();
        await bulk.store.close();
      }
      // Twelve histories folded twice with the feed on (late facts re-fold and tell corrections): on a loaded
      // machine this outlasts the default 30 s. A limit on time, not a measure of speed.
    }, 120_000);

    it('keeps duplicates out: a known body is counted, a known fact is refused, nothing stored twice', async () => {
      const { store, sql } = await open();
      try {
        const pair = uniquePair();
        const f = factsFor(pair);
        const known = f.userMessaged(T0, 'm1');
        const file = `dup-${pair.business}.ndjson`;
        await new Engine(store).ingest([known]);
        const [held] = await store.inbox.record(linesOf([known], file, 1));
        const fresh = f.userMessaged(T0 + 5, 'm2');

        const receipts = await store.bulkIngest(async (facts, inbox) => {
          // The engine reads which keys are known and stores only the new fact.
          const result = await new Engine(facts).ingest([known, fresh, fresh]);
          expect(result).toMatchObject({ applied: 1, duplicates: 2 });
          // A commit that carries a stored key is refused whole (the unique key), in its own savepoint.
          const commit: StreamCommit = {
            stream: pairStreamId(pair),
            expectedVersion: 2,
            facts: [known],
            state: null,
            checkpoints: [],
          };
          await expect(facts.commit([commit])).rejects.toBeInstanceOf(DuplicateFactError);
          return inbox.record([...linesOf([known, fresh], file, 2), ...linesOf([fresh], file, 4)]);
        });
        expect(receipts.map((r) => [r.id === held?.id, r.deliveries, r.repeated])).toEqual([
          [true, 2, true],
          [false, 1, false],
          [false, 2, true],
        ]);
        const rows = await rowsOf(sql, [pair.business], file);
        expect(rows.facts.map((r) => r.key)).toEqual([known.key, fresh.key]);
        expect(rows.inbox.map((r) => [r.source_line, r.deliveries])).toEqual([
          [1, 2],
          [3, 2],
        ]);
      } finally {
        await store.close();
      }
    });

    it('writes the outbox in commit order and skips an id it holds already, keeping the rest of the commit', async () => {
      const { store } = await open();
      try {
        const [a, b] = [uniquePair(), uniquePair()];
        const change = (pair: Pair, id: string, at: number): PairChange => ({
          id: `${pair.business}-${id}`,
          kind: 'customer_service_window.opened',
          at,
          business: pair.business,
          user: pair.user,
          cause: { kind: 'time' },
          data: { open: true, until: at + 86_400 },
        });
        const commit = (pair: Pair, version: number, changes: PairChange[]): StreamCommit => {
          const facts = [
            factsFor(pair).userMessaged(T0 + version, `m${version}`, `${pairStreamId(pair)}:m${version}`),
          ];
          const env = {
            policyAt: policyFor(defaultPolicyBook, pair.business),
            callbackEnabledAt: () => false,
          };
          return {
            stream: pairStreamId(pair),
            expectedVersion: version,
            facts,
            state: fold(initialPairState(pair.business, pair.user), facts, env),
            checkpoints: [],
            changes,
            changesUntil: T0 + version,
            nextChangeAt: null,
          };
        };
        await store.bulkIngest((facts) =>
          facts.commit([commit(a, 0, [change(a, '1', T0), change(a, '2', T0 + 1)])]),
        );
        // The second batch's first commit repeats a2 (the COPY fails on the unique id and the rows are
        // staged); its next commit copies again.
        await store.bulkIngest(async (facts) => {
          await facts.commit([
            commit(b, 0, [change(b, '1', T0)]),
            commit(a, 1, [change(a, '2', T0 + 1), change(a, '3', T0 + 2)]),
          ]);
          await facts.commit([commit(b, 1, [change(b, '2', T0 + 3)])]);
        });
        const rows = await store.atomically((facts) =>
          facts.readChanges(0, 1_000_000, [a.business, b.business]),
        );
        expect(rows.map((r) => r.id)).toEqual([
          `${a.business}-1`,
          `${a.business}-2`,
          `${b.business}-1`,
          `${a.business}-3`,
          `${b.business}-2`,
        ]);
        const { seq: _, ...told } = rows[3] as StoredChange;
        expect(JSON.stringify(told)).toBe(JSON.stringify(change(a, '3', T0 + 2)));
        const heads = await store.heads([pairStreamId(a), pairStreamId(b)]);
        expect([heads.get(pairStreamId(a))?.version, heads.get(pairStreamId(b))?.version]).toEqual([2, 2]);
      } finally {
        await store.close();
      }
    });

    it('a bulk batch that fails leaves nothing behind, whether its code or the database fails', async () => {
      const { store, sql } = await open();
      try {
        const pair = uniquePair();
        const f = factsFor(pair);
        const file = `fail-${pair.business}.ndjson`;
        const facts = [f.requestSent(T0, `${pair.business}.r1`), f.userMessaged(T0 + 5, 'm1')];
        const failing: [string, (facts: FactStore) => Promise<void>][] = [
          [
            'the capture file ended mid-line',
            async () => {
              throw new Error('the capture file ended mid-line');
            },
          ],
          // PostgreSQL's text cannot hold U+0000: the COPY of the facts fails inside the database. (The Engine
          // refuses such a fact before any SQL since the embedding boundary; the port's commit does not check.)
          [
            'invalid byte sequence',
            async (txFacts) => {
              const bad = f.userMessaged(T0 + 9, 'm9', `${pair.business}:nul\u0000inside`);
              await txFacts.commit([
                {
                  stream: `${pair.business}/nul`,
                  expectedVersion: 0,
                  facts: [bad],
                  state: null,
                  checkpoints: [],
                },
              ]);
            },
          ],
        ];
        for (const [message, step] of failing) {
          await expect(
            store.bulkIngest(async (txFacts, inbox) => {
              await new Engine(txFacts).ingest(facts);
              await inbox.record(linesOf(facts, file, 1));
              await step(txFacts);
            }),
          ).rejects.toThrow(new RegExp(message));
          const rows = await rowsOf(sql, [pair.business], file);
          expect(rows).toEqual({ facts: [], heads: [], due: [], checkpoints: [], inbox: [], changes: [] });
        }
        // The same batch then goes in whole.
        await store.bulkIngest(async (txFacts, inbox) => {
          await new Engine(txFacts).ingest(facts);
          await inbox.record(linesOf(facts, file, 1));
        });
        const rows = await rowsOf(sql, [pair.business], file);
        expect([rows.facts.length, rows.heads.length, rows.inbox.length]).toEqual([2, 1, 2]);
      } finally {
        await store.close();
      }
    });
  });
}
