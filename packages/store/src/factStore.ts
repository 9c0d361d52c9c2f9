import {
  type BusinessInvalidation,
  type ChangeRange,
  type Checkpoint,
  ConcurrencyError,
  DuplicateFactError,
  type Fact,
  type FactRange,
  type FactStore,
  type FoldPosition,
  factRank,
  type Instant,
  type PairChange,
  type PairStateJson,
  pairStateFromJson,
  pairStateToJson,
  parseStreamId,
  type RecordedFact,
  type StoredChange,
  type StoredHead,
  type StreamCommit,
} from '@callpermit/core';
import {
  jsonParam,
  nullableNumber,
  numberArrayParam,
  numberOf,
  textArrayParam,
  uniqueViolation,
} from './codec.js';
import { changeOfRow, type OutboxData, type OutboxRow, outboxColumns, outboxData } from './outboxRow.js';
import type { Row, SqlClient } from './sqlClient.js';

/**
 * Held from the start of every commit to its end. Sequence values are handed out in commit order and become
 * visible in that order, so `readAll` never skips a position that commits late (PostgreSQL with concurrent
 * writers). On PGlite, one connection, it is free.
 */
export const COMMIT_LOCK = 7_212_660_302;

// `due` holds, for every head with a `next_change_at`, an instant at or before it: a reminder to look, which
// `dueStreams` brings up to the head's own instant (or drops) when it comes. A statement that gives heads new
// instants (`source`: stream, next_change_at) writes a head's row only when the instant comes earlier than the
// row's, or it has none; most head moves put the instant later (the pair's history goes on), and leave the row
// as it is: an update of `due` writes a new row and two index entries, which had cost a replay two fifths of
// its heads' move. A CTE of that statement, so no second pass over the rows; each stream is found by an index
// probe (a LATERAL subquery with a LIMIT), so the cost follows the heads moved, never the number of rows in
// `due`. In a head move, a head that did not move fails its commit, which rolls all of it back.
function dueLowered(source: string): string {
  return `due_lowered as (
  insert into due (stream, next_change_at)
  select s.stream, s.next_change_at from ${source} s
  left join lateral (select d.next_change_at as held from due d where d.stream = s.stream limit 1) d on true
  where s.next_change_at is not null and (d.held is null or s.next_change_at < d.held)
  on conflict (stream) do update set next_change_at = excluded.next_change_at
)`;
}

// Heads move only from the version the decision was made on: an UPDATE for existing streams, an INSERT for
// new ones (its revision is the column's default). A stream missing from the result had another writer first.
// `input` is the relation of planned heads: a JSON parameter unpacked, or a bulk-loaded table (bulk.ts).
// `streams`, when given, is an SQL array of the same streams: the planner cannot see how few rows `input` holds
// (a set-returning function counts as 100), and would scan every head to hash-join them with it; matched
// against the array, each head is found by its index, whatever the number of heads.
export function moveHeads(input: string, streams?: string): string {
  const probe = streams === undefined ? '' : `h.stream = any(${streams}) and `;
  return `
with input as (select * from ${input}),
moved as (
  update heads h
  set version = i.version,
      state = case when i.keep = 1 then h.state else i.state end,
      last_at = case when i.keep = 1 then h.last_at else i.last_at end,
      stale_from = case when i.state is null then h.stale_from end,
      changes_until = i.changes_until, next_change_at = i.next_change_at,
      revision = nextval('head_revisions')
  from input i
  where ${probe}h.stream = i.stream and h.version = i.expected
    and (i.expected_revision is null or h.revision = i.expected_revision)
  returning h.stream, h.revision, h.stale_from
),
created as (
  insert into heads (stream, business, version, state, last_at, changes_until, next_change_at)
  select i.stream, i.business, i.version, i.state, i.last_at, i.changes_until, i.next_change_at from input i
  where i.expected = 0 and not exists (select 1 from heads h where h.stream = i.stream)
  on conflict (stream) do nothing
  returning stream, revision, stale_from
),
${dueLowered('input')}
select * from moved union all select * from created`;
}

/** The columns of a planned head (`PlannedHead`), as SQL. `keep` = 1: the stored state stays (no state sent). */
export const HEAD_COLUMNS =
  'stream text, business text, expected integer, expected_revision bigint, version integer, state json, ' +
  'last_at double precision, keep smallint, changes_until double precision, next_change_at double precision';

const MOVE_HEADS = moveHeads(`json_to_recordset($1::json) as i(${HEAD_COLUMNS})`, '$2::text[]');

const INSERT_FACTS = `
insert into facts (stream, version, type, at, rank, key, data)
select f.stream, f.version, f.type, f.at, f.rank, f.key, f.data
from json_to_recordset($1::json) as f(
  n integer, stream text, version integer, type text, at double precision, rank smallint, key text, data json)
order by f.n`;

/**
 * Outbox rows from `input`, a relation of `CHANGE_COLUMNS`, in commit order; an id held already is skipped (an
 * id is a hash of its pair and instant among the rest, so the unique (stream, at, id) holds each id once).
 */
export function insertChanges(input: string): string {
  return `
insert into changes (id, stream, business, at, kind, data)
select c.id, c.stream, c.business, c.at, c.kind, c.data from ${input}
order by c.n
on conflict (stream, at, id) do nothing`;
}

export const CHANGE_COLUMNS =
  'n integer, id text, stream text, business text, at double precision, kind text, data json';

const INSERT_CHANGES = insertChanges(`json_to_recordset($1::json) as c(${CHANGE_COLUMNS})`);

const DROP_CHECKPOINTS = `
delete from checkpoints c
using json_to_recordset($1::json) as d(stream text, at double precision, rank smallint, key text)
where c.stream = d.stream and (c.at, c.rank, c.key) >= (d.at, d.rank, d.key collate "C")`;

/** Checkpoints from `input`, a relation of `CHECKPOINT_COLUMNS`; one at the same position is replaced. */
export function insertCheckpoints(input: string): string {
  return `
insert into checkpoints (stream, at, rank, key, state)
select c.stream, c.at, c.rank, c.key, c.state from ${input}
on conflict (stream, at, rank, key) do update set state = excluded.state`;
}

export const CHECKPOINT_COLUMNS = 'stream text, at double precision, rank smallint, key text, state json';

const INSERT_CHECKPOINTS = insertCheckpoints(`json_to_recordset($1::json) as c(${CHECKPOINT_COLUMNS})`);

// A business fact from an instant on makes every pair state of the business that folded past it stale, and
// its checkpoints from there on useless. Pair streams re-folded in the same commit saw the fact already. A head
// the feed follows becomes due at the stale instant, if it was not due earlier: its row in `due` is lowered too
// (`dueLowered`).
const INVALIDATE = `
with inv as (
  select i.business, min(i."from") as "from"
  from json_to_recordset($1::json) as i(business text, "from" double precision)
  group by i.business
),
stale as (
  update heads h
  set stale_from = least(h.stale_from, inv."from"), revision = nextval('head_revisions'),
      next_change_at = case when h.changes_until is null then h.next_change_at
                            else least(h.next_change_at, inv."from") end
  from inv
  where h.business = inv.business and h.state is not null and h.last_at >= inv."from"
    and not (h.stream = any($2::text[]))
  returning h.stream, h.stale_from, h.next_change_at
),
${dueLowered('stale')}
delete from checkpoints c using stale s where c.stream = s.stream and c.at >= s.stale_from`;

/** A row of `due` as `LOOK_DUE` answers it: its instant (`held`) and its head's (`at`; null: none). */
interface DueRow {
  readonly stream: string;
  readonly held: number;
  readonly at: number | null;
}

// One page of `due` (after the row ($3, $4), if given) with each head's instant, found by an index probe. Rows
// whose head is not due yet are set to its instant, and those whose head has none are dropped; the others stay
// as they are, so a later page never meets a row of this one again.
const LOOK_DUE = `
with looked as (
  select d.stream, d.held, h.at
  from (select stream, next_change_at as held from due
        where next_change_at <= $1 and ($3::double precision is null or (next_change_at, stream) > ($3, $4::text))
        order by next_change_at, stream limit $2) d
  left join lateral (select next_change_at as at from heads h where h.stream = d.stream) h on true
),
raised as (
  update due set next_change_at = l.at from looked l
  where due.stream = l.stream and l.at > $1
),
dropped as (
  delete from due using looked l where due.stream = l.stream and l.at is null
)
select stream, held, at from looked order by held, stream`;

// A cached head of the stored revision is not read again: its state stays on the server. Revisions come from
// one sequence, so a revision names one head of one stream: matching it alone is enough. Each asked-for
// stream comes with the revision the caller holds (0 for none: revisions start at 1), and is read by its own
// index probe (a LATERAL subquery the planner cannot turn into a hash join over every head and its state).
const HEADS = `
select h.stream, h.version, h.revision, h.stale_from, h.changes_until, h.next_change_at,
       h.revision = q.revision as cached,
       case when h.revision = q.revision then null else h.state end as state
from unnest($1::text[], $2::bigint[]) as q(stream, revision)
cross join lateral (select * from heads where heads.stream = q.stream limit 1) h`;

// One index probe per key, whatever the planner would estimate: `key = any($1)` over a large list (a bulk
// replay asks for tens of thousands of keys) is planned as a sequential scan of the whole log once the list is
// a fair share of a freshly loaded table, and a LATERAL subquery with a LIMIT cannot be turned into that.
const KNOWN_KEYS = `
select f.key from unnest($1::text[]) as k(key)
cross join lateral (select key from facts where facts.key = k.key limit 1) f`;

// Each stream's outbox rows from its instant on (all of them for a null instant), by an index probe per stream
// (changes_stream_at_id). `offset 0` keeps the LATERAL subquery a subquery: flattened, the planner hash-joins the
// ranges with a scan of the whole outbox, so each commit of a new pair would cost O(every change ever told).
const CHANGES_OF = `
select ${outboxColumns('c')} from json_to_recordset($1::json) as q(stream text, "from" double precision)
cross join lateral (
  select ${outboxColumns('changes')}, seq from changes
  where changes.stream = q.stream and changes.at >= coalesce(q."from", '-infinity'::double precision)
  offset 0
) c
order by q.stream, c.seq`;
// The same probe per key, with the stored fact.
const FACTS_BY_KEY = `
select f.key, f.data from unnest($1::text[]) as k(key)
cross join lateral (select key, data from facts where facts.key = k.key limit 1) f`;

interface HeadRow {
  stream: string;
  version: unknown;
  revision: unknown;
  stale_from: unknown;
  changes_until: unknown;
  next_change_at: unknown;
  cached: boolean;
  state: PairStateJson | null;
}

/**
 * The FactStore port over SQL. Each method is one query, except `commit`: one transaction of a few
 * set-based statements however many facts and streams it carries.
 */
export class SqlFactStore implements FactStore {
  constructor(
    protected readonly client: SqlClient,
    /** How a commit's rows reach the database: JSON parameters, or COPY in a bulk unit of work. */
    private readonly rows: CommitRows = jsonRows,
  ) {}

  async knownKeys(keys: readonly string[]): Promise<ReadonlySet<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.client.query<{ key: string }>(KNOWN_KEYS, [textArrayParam(keys)]);
    return new Set(rows.map((r) => r.key));
  }

  async factsByKey(keys: readonly string[]): Promise<ReadonlyMap<string, Fact>> {
    if (keys.length === 0) return new Map();
    const rows = await this.client.query<{ key: string; data: Fact }>(FACTS_BY_KEY, [textArrayParam(keys)]);
    return new Map(rows.map((r) => [r.key, r.data]));
  }

  async heads(
    streams: readonly string[],
    cached: ReadonlyMap<string, StoredHead> = new Map(),
  ): Promise<ReadonlyMap<string, StoredHead>> {
    const found = new Map<string, StoredHead>();
    if (streams.length === 0) return found;
    const rows = await this.client.query<HeadRow & Record<string, unknown>>(HEADS, [
      textArrayParam(streams),
      numberArrayParam(streams.map((s) => cached.get(s)?.revision ?? 0)),
    ]);
    for (const r of rows) {
      const same = r.cached ? cached.get(r.stream) : undefined;
      found.set(
        r.stream,
        same ?? {
          stream: r.stream,
          version: numberOf(r.version),
          state: r.state === null ? null : pairStateFromJson(r.state),
          staleFrom: nullableNumber(r.stale_from),
          revision: numberOf(r.revision),
          changesUntil: nullableNumber(r.changes_until),
          nextChangeAt: nullableNumber(r.next_change_at),
        },
      );
    }
    return found;
  }

  async checkpointBefore(stream: string, position: FoldPosition): Promise<Checkpoint | undefined> {
    const [row] = await this.client.query<{ at: number; rank: number; key: string; state: PairStateJson }>(
      `select at, rank, key, state from checkpoints
       where stream = $1 and (at, rank, key) < ($2::double precision, $3::smallint, $4::text collate "C")
       order by at desc, rank desc, key desc limit 1`,
      [stream, position.at, position.rank, position.key],
    );
    return (
      row && { position: { at: row.at, rank: row.rank, key: row.key }, state: pairStateFromJson(row.state) }
    );
  }

  async factsOf(stream: string, range: FactRange = {}): Promise<Fact[]> {
    const params: unknown[] = [stream];
    let where = 'stream = $1';
    if (range.after) {
      params.push(range.after.at, range.after.rank, range.after.key);
      where += ' and (at, rank, key) > ($2::double precision, $3::smallint, $4::text collate "C")';
    }
    if (range.until !== undefined) {
      params.push(range.until);
      where += ` and at <= $${params.length}::double precision`;
    }
    const rows = await this.client.query<{ data: Fact }>(
      `select data from facts where ${where} order by at, rank, key`,
      params,
    );
    return rows.map((r) => r.data);
  }

  async commit(
    commits: readonly StreamCommit[],
    invalidations: readonly BusinessInvalidation[] = [],
  ): Promise<ReadonlyMap<string, StoredHead>> {
    const written = new Map<string, StoredHead>();
    if (commits.length === 0 && invalidations.length === 0) return written;
    const plan = planCommit(commits);
    // The rows are encoded before the commit lock is taken (a bulk unit encodes all but the heads' while the
    // database moves the heads, under the lock anyway): other writers wait only for the statements.
    const rows = this.rows.prepare(plan);
    /** Everything after the heads' move, in order: each waits for the one before unless `independent`. */
    const sendRows = async (tx: SqlClient): Promise<void> => {
      const writes: (() => Promise<unknown>)[] = [];
      if (plan.facts.length > 0) writes.push(() => rows.insertFacts(tx));
      if (plan.changes.length > 0) writes.push(() => rows.insertChanges(tx));
      if (plan.drops.length > 0) writes.push(() => tx.query(DROP_CHECKPOINTS, [jsonParam(plan.drops)]));
      if (plan.checkpoints.length > 0) writes.push(() => rows.insertCheckpoints(tx));
      if (invalidations.length > 0)
        writes.push(() => tx.query(INVALIDATE, [jsonParam(invalidations), textArrayParam(plan.refolded)]));
      if (rows.independent === true) await Promise.all(writes.map((write) => write()));
      else for (const write of writes) await write();
    };
    try {
      await this.client.transaction(async (tx) => {
        // Sent with the heads' move (one round trip on a pipelined driver); a failure fails the move too.
        const locked = tx.query('select pg_advisory_xact_lock($1)', [COMMIT_LOCK]);
        locked.catch(() => {});
        const moving = plan.heads.length > 0 ? rows.moveHeads(tx) : undefined;
        moving?.catch(() => {});
        // Rows that can go out without waiting for the move go out with it: should the move find another
        // writer first, the savepoint's rollback undoes them.
        const sentEarly = rows.independent === true ? sendRows(tx) : undefined;
        sentEarly?.catch(() => {});
        await locked;
        if (moving !== undefined) {
          const moved = await moving;
          if (moved.length !== plan.heads.length) throw await conflictOf(tx, commits, moved);
          const planned = new Map(plan.heads.map((h) => [h.stream, h]));
          const states = new Map(commits.map((c) => [c.stream, c.state]));
          for (const m of moved) {
            const head = planned.get(m.stream) as PlannedHead;
            written.set(m.stream, {
              stream: m.stream,
              version: head.version,
              state: states.get(m.stream) ?? null,
              staleFrom: nullableNumber(m.stale_from),
              revision: numberOf(m.revision),
              changesUntil: head.changes_until,
              nextChangeAt: head.next_change_at,
            });
          }
        }
        await (sentEarly ?? sendRows(tx));
      });
    } catch (error) {
      const translated = await this.translate(error, commits);
      if (translated instanceof ConcurrencyError || translated instanceof DuplicateFactError)
        await this.rows.afterConflict?.(this.client);
      throw translated;
    }
    return written;
  }

  /** Unique violations as the port's errors: the key one names the key a concurrent writer stored first. */
  private async translate(error: unknown, commits: readonly StreamCommit[]): Promise<unknown> {
    const constraint = uniqueViolation(error);
    if (constraint === 'facts_key_unique') {
      const keys = commits.flatMap((c) => c.facts.map((f) => f.key));
      const known = await this.knownKeys(keys);
      const key = keys.find((k) => known.has(k));
      return key === undefined ? error : new DuplicateFactError(key);
    }
    if (constraint === 'facts_pkey' || constraint === 'heads_pkey') {
      return conflictOf(this.client, commits, []);
    }
    return error;
  }

  async streams(): Promise<string[]> {
    return (await this.client.query<{ stream: string }>('select stream from heads')).map((r) => r.stream);
  }

  async readAll(after: number, limit: number): Promise<RecordedFact[]> {
    const rows = await this.client.query<{ position: unknown; stream: string; version: unknown; data: Fact }>(
      'select position, stream, version, data from facts where position > $1 order by position limit $2',
      [after, limit],
    );
    return rows.map((r) => ({
      stream: r.stream,
      version: numberOf(r.version),
      position: numberOf(r.position),
      fact: r.data,
    }));
  }

  async readChanges(after: number, limit: number, businesses?: readonly string[]): Promise<StoredChange[]> {
    const rows =
      businesses === undefined
        ? await this.client.query<OutboxRow & Row>(
            `select seq, ${outboxColumns('changes')} from changes where seq > $1 order by seq limit $2`,
            [after, limit],
          )
        : await this.client.query<OutboxRow & Row>(
            `select seq, ${outboxColumns('changes')} from changes
            where seq > $1 and business = any($3::text[]) order by seq limit $2`,
            [after, limit, textArrayParam(businesses)],
          );
    return rows.map((r) => ({ ...changeOfRow(r), seq: numberOf(r.seq) }));
  }

  async changesOf(ranges: readonly ChangeRange[]): Promise<ReadonlyMap<string, PairChange[]>> {
    const out = new Map<string, PairChange[]>(ranges.map((r) => [r.stream, []]));
    if (ranges.length === 0) return out;
    const rows = await this.client.query<OutboxRow & Row>(CHANGES_OF, [jsonParam(ranges)]);
    for (const r of rows) out.get(r.stream)?.push(changeOfRow(r));
    return out;
  }

  /**
   * The rows of `due` at or before `now`, page by page in their order, each with its head's instant: a row
   * whose head is not due yet is brought up to the head's instant, one whose head has none (or no head) is
   * dropped, and the heads really due are answered, earliest first. Under the commit lock, so no head moves
   * between the look and the fix (a move that lowered a row meanwhile would be undone).
   */
  async dueStreams(now: Instant, limit: number): Promise<string[]> {
    return this.client.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [COMMIT_LOCK]);
      type Due = { stream: string; at: number };
      const due: Due[] = [];
      const earliest = (a: Due, b: Due) =>
        a.at - b.at || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);
      for (let after: DueRow | undefined; ; ) {
        const rows = await tx.query<DueRow & Row>(LOOK_DUE, [
          now,
          limit,
          after?.held ?? null,
          after?.stream ?? null,
        ]);
        for (const r of rows) if (r.at !== null && r.at <= now) due.push({ stream: r.stream, at: r.at });
        after = rows.at(-1);
        if (after === undefined || rows.length < limit) break;
        // A row not looked at yet is at or after the last one's instant, and so is its head: once `limit`
        // heads due are found at or before that, none of the rest comes earlier.
        if (due.length >= limit && (due.sort(earliest)[limit - 1]?.at as number) <= after.held) break;
      }
      due.sort(earliest);
      return due.slice(0, limit).map((d) => d.stream);
    });
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.client.exclusive(key, fn);
  }

  /** Nothing to release: the store that owns the connection closes it. */
  async close(): Promise<void> {}
}

/** A head a commit moves, as `HEAD_COLUMNS`: from `expected` (and its revision) to `version`. */
export interface PlannedHead {
  readonly stream: string;
  readonly business: string;
  readonly expected: number;
  readonly expected_revision: number | null;
  readonly version: number;
  readonly state: PairStateJson | null;
  readonly last_at: number | null;
  /** 1: the stored state stays (`StreamCommit.keepState`). */
  readonly keep: number;
  readonly changes_until: number | null;
  readonly next_change_at: number | null;
}

/** An outbox row a commit adds, as `CHANGE_COLUMNS`; `n` is its place in the commit (seqs follow it). */
export interface PlannedChange {
  readonly n: number;
  readonly id: string;
  readonly stream: string;
  readonly business: string;
  readonly at: number;
  readonly kind: string;
  readonly data: OutboxData;
}

/** A fact row a commit adds; `n` is its place in the commit (positions follow it). */
export interface PlannedFact {
  readonly n: number;
  readonly stream: string;
  readonly version: number;
  readonly type: string;
  readonly at: number;
  readonly rank: number;
  readonly key: string;
  readonly data: Fact;
}

/** A checkpoint row, as `CHECKPOINT_COLUMNS`. */
export interface PlannedCheckpoint {
  readonly stream: string;
  readonly at: number;
  readonly rank: number;
  readonly key: string;
  readonly state: PairStateJson;
}

/** What `moveHeads` returns for each head it moved. */
export interface MovedHead {
  readonly stream: string;
  readonly revision: unknown;
  readonly stale_from: unknown;
}

/** A commit's rows, encoded for their statements (`CommitRows.prepare`) and sent by them. */
export interface PreparedRows {
  /**
   * Each method is one statement, which may be sent before the heads' move has been answered (and the others
   * beside it): on a pipelined driver the commit is then one round trip.
   */
  readonly independent?: boolean;
  moveHeads(tx: SqlClient): Promise<MovedHead[]>;
  insertFacts(tx: SqlClient): Promise<void>;
  insertCheckpoints(tx: SqlClient): Promise<void>;
  insertChanges(tx: SqlClient): Promise<void>;
}

/**
 * How a commit's rows reach the database. By default each statement takes its rows as one JSON parameter (a
 * commit is a few statements however large it is); a bulk unit of work loads them with COPY (bulk.ts).
 * `prepare` encodes them before the commit takes its lock (`copyCommitRows` defers all but the heads' rows to
 * the time the database spends moving the heads).
 */
export interface CommitRows {
  prepare(plan: CommitPlan): PreparedRows;
  /**
   * Called on the enclosing unit of work after a commit lost to another writer (its savepoint rolled back),
   * before the engine reads again and retries.
   */
  afterConflict?(unit: SqlClient): Promise<void>;
}

const jsonRows: CommitRows = {
  prepare(plan) {
    const heads = jsonParam(plan.heads);
    const streams = textArrayParam(plan.heads.map((h) => h.stream));
    const facts = jsonParam(plan.facts);
    const checkpoints = jsonParam(plan.checkpoints);
    const changes = jsonParam(plan.changes);
    return {
      independent: true,
      moveHeads: (tx) => tx.query<MovedHead & Record<string, unknown>>(MOVE_HEADS, [heads, streams]),
      insertFacts: async (tx) => {
        await tx.query(INSERT_FACTS, [facts]);
      },
      insertCheckpoints: async (tx) => {
        await tx.query(INSERT_CHECKPOINTS, [checkpoints]);
      },
      insertChanges: async (tx) => {
        await tx.query(INSERT_CHANGES, [changes]);
      },
    };
  },
};

/** The rows of one commit, as planned from its stream commits. */
export interface CommitPlan {
  heads: PlannedHead[];
  facts: PlannedFact[];
  drops: object[];
  checkpoints: PlannedCheckpoint[];
  /** The change feed's outbox rows, in commit order. */
  changes: PlannedChange[];
  /** Pair streams re-folded in this commit: an invalidation leaves them alone. */
  refolded: string[];
}

/** The rows of a commit, validated the way the memory store does before it touches anything. */
function planCommit(commits: readonly StreamCommit[]): CommitPlan {
  const plan: CommitPlan = { heads: [], facts: [], drops: [], checkpoints: [], changes: [], refolded: [] };
  const streams = new Set<string>();
  const keys = new Set<string>();
  for (const c of commits) {
    if (streams.has(c.stream)) throw new Error(`stream ${c.stream} appears twice in one commit`);
    streams.add(c.stream);
    let version = c.expectedVersion;
    for (const fact of c.facts) {
      if (keys.has(fact.key)) throw new DuplicateFactError(fact.key);
      keys.add(fact.key);
      plan.facts.push({
        n: plan.facts.length,
        stream: c.stream,
        version: ++version,
        type: fact.type,
        at: fact.at,
        rank: factRank(fact.type),
        key: fact.key,
        data: fact,
      });
    }
    const keep = c.keepState === true;
    const business = parseStreamId(c.stream).business;
    plan.heads.push({
      stream: c.stream,
      business,
      expected: c.expectedVersion,
      expected_revision: c.expectedRevision ?? null,
      version,
      state: c.state === null || keep ? null : pairStateToJson(c.state),
      last_at: c.state?.last?.at ?? null,
      keep: keep ? 1 : 0,
      changes_until: c.changesUntil ?? null,
      next_change_at: c.changesUntil === undefined ? null : (c.nextChangeAt ?? null),
    });
    for (const change of c.changes ?? [])
      plan.changes.push({
        n: plan.changes.length,
        id: change.id,
        stream: c.stream,
        business,
        at: change.at,
        kind: change.kind,
        data: outboxData(change),
      });
    if (c.dropCheckpointsFrom) plan.drops.push({ stream: c.stream, ...c.dropCheckpointsFrom });
    for (const cp of c.checkpoints)
      plan.checkpoints.push({ stream: c.stream, ...cp.position, state: pairStateToJson(cp.state) });
    if (c.state !== null && !keep) plan.refolded.push(c.stream);
  }
  return plan;
}

/**
 * The ConcurrencyError for the first stream (not in `moved`) whose head is not at the expected version, or
 * whose head changed (another revision) at that version.
 */
async function conflictOf(
  client: SqlClient,
  commits: readonly StreamCommit[],
  moved: readonly { stream: string }[],
): Promise<ConcurrencyError> {
  const done = new Set(moved.map((m) => m.stream));
  const pending = commits.filter((c) => !done.has(c.stream));
  const rows = await client.query<{ stream: string; version: unknown; revision: unknown }>(
    'select stream, version, revision from heads where stream = any($1::text[])',
    [textArrayParam(pending.map((c) => c.stream))],
  );
  const found = new Map(rows.map((r) => [r.stream, r]));
  for (const c of pending) {
    const row = found.get(c.stream);
    const version = row === undefined ? 0 : numberOf(row.version);
    if (version !== c.expectedVersion) return new ConcurrencyError(c.stream, c.expectedVersion, version);
    if (
      c.expectedRevision !== undefined &&
      row !== undefined &&
      numberOf(row.revision) !== c.expectedRevision
    )
      return new ConcurrencyError(c.stream, c.expectedVersion, version, true);
  }
  // A writer that created the stream concurrently and has not committed yet: its head is not visible.
  const first = pending[0] ?? commits[0];
  return new ConcurrencyError(first?.stream ?? '', first?.expectedVersion ?? 0, Number.NaN);
}
