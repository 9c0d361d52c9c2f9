import type { SqlClient } from './sqlClient.js';

/** One schema step. Statements run in order, in one transaction with the step's `schema_migrations` row. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/**
 * The schema, as an ordered list of steps; append only (a released step is never edited). Fact-order columns
 * (`at`, `rank`, `key`) mirror core's `compareFacts`; `key` uses the "C" collation so the database orders keys
 * by code point like JavaScript does, whatever the database's locale.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'facts, heads, checkpoints, inbox',
    statements: [
      `create table facts (
        position bigserial not null,
        stream text not null,
        version integer not null,
        type text not null,
        at double precision not null,
        rank smallint not null,
        key text collate "C" not null,
        data jsonb not null,
        recorded_at timestamptz not null default now(),
        primary key (stream, version),
        constraint facts_key_unique unique (key)
      )`,
      'create unique index facts_position on facts (position)',
      'create index facts_fact_order on facts (stream, at, rank, key)',
      `create table heads (
        stream text primary key,
        business text not null,
        version integer not null,
        state jsonb,
        last_at double precision,
        stale_from double precision,
        retained_from double precision
      )`,
      'create index heads_business on heads (business)',
      `create table checkpoints (
        stream text not null,
        at double precision not null,
        rank smallint not null,
        key text collate "C" not null,
        state jsonb not null,
        primary key (stream, at, rank, key)
      )`,
      `create table inbox (
        id bigserial primary key,
        hash text not null unique,
        body bytea not null,
        source_file text not null,
        source_line integer,
        outcome text not null check (outcome in ('applied', 'duplicate', 'ignored', 'rejected')),
        reason text,
        deliveries integer not null default 1,
        received_at timestamptz not null default now(),
        last_received_at timestamptz not null default now(),
        check (outcome <> 'rejected' or reason is not null)
      )`,
    ],
  },
  {
    version: 2,
    name: 'settings: what the log was folded under (the policy)',
    statements: ['create table settings (name text primary key, value jsonb not null)'],
  },
  {
    version: 3,
    name: 'head revisions: a reader holding a head of the current revision need not read its state',
    statements: [
      // A sequence, not a counter per row: its values are never handed out twice, not even by a transaction
      // that rolled back, so a revision cached by a process always means the head it read.
      'create sequence head_revisions',
      `alter table heads add column revision bigint not null default nextval('head_revisions')`,
    ],
  },
  {
    version: 4,
    name: 'states and fact data as json text; room on head pages for in-place updates',
    statements: [
      // Written and read whole, never queried inside: json keeps the text as sent, which is cheaper to store
      // and to hand back than jsonb's decoded form (head writes about 40 % cheaper on PostgreSQL 15).
      // Heads are rewritten on every commit: pages with free space let PostgreSQL update them in place
      // (heap-only tuples) without touching the indexes. Set before the type change rewrites the table.
      'alter table heads set (fillfactor = 70)',
      'alter table heads alter column state type json using state::json',
      'alter table checkpoints alter column state type json using state::json',
      'alter table facts alter column data type json using data::json',
    ],
  },
  {
    version: 5,
    name: 'states compressed with lz4 where the server has it',
    statements: [
      // States over ~2 kB are compressed out of line. lz4 costs less CPU than the default pglz (head writes of
      // ~4 kB states about 20 % cheaper on PostgreSQL 15); PGlite is built without it and keeps pglz.
      `do $$ begin
        alter table heads alter column state set compression lz4;
        alter table checkpoints alter column state set compression lz4;
      exception when feature_not_supported then null;
      end $$`,
    ],
  },
  {
    version: 6,
    name: 'change feed: the outbox, when each head next changes with no fact, webhook subscriptions',
    statements: [
      // The outbox: one row per change of a pair's view, written in the commit of the facts that caused it.
      // `seq` is handed out under the commit lock (like fact positions), so a reader paging by it skips none.
      // `data` is the whole change as core made it; the other columns are what queries select by.
      `create table changes (
        seq bigserial primary key,
        id text collate "C" not null,
        stream text not null,
        business text not null,
        at double precision not null,
        kind text not null,
        data json not null,
        recorded_at timestamptz not null default now(),
        constraint changes_id_unique unique (id)
      )`,
      // A rewrite reads what was told of one pair from an instant on; a business-scoped reader pages its own.
      'create index changes_stream_at on changes (stream, at)',
      'create index changes_business_seq on changes (business, seq)',
      // Through when the pair's changes are in the outbox, and when time alone next changes its view: the
      // materialiser reads the due heads by this partial index, whatever the number of pairs.
      'alter table heads add column changes_until double precision, add column next_change_at double precision',
      'create index heads_next_change_at on heads (next_change_at, stream) where next_change_at is not null',
      // Outbound webhooks: where to deliver, what, and each subscription's cursor (the last seq delivered).
      // Instants are Unix seconds from the delivering process's clock.
      `create table subscriptions (
        id text primary key,
        url text not null,
        businesses json,
        kinds json,
        secret text not null,
        origin text not null check (origin in ('file', 'api')),
        status text not null default 'active' check (status in ('active', 'paused')),
        cursor bigint not null default 0,
        failures integer not null default 0,
        failing_since double precision,
        next_attempt_at double precision not null default 0,
        last_error text,
        delivered bigint not null default 0,
        lease_owner text,
        lease_until double precision,
        created_at timestamptz not null default now()
      )`,
    ],
  },
  {
    version: 7,
    name: 'change feed: when each pair next changes with no fact, in a table of its own',
    statements: [
      // The materialiser's index moves out of heads: an index on a column that most head moves change kept
      // those updates from being heap-only (HOT), so every head move wrote an entry into each of heads' indexes.
      // `heads.next_change_at` stays, unindexed, for the engine to read with the head; `due` holds the same
      // instant for every head that has one (none: no row), written in the statement that moves the head.
      'create table due (stream text primary key, next_change_at double precision not null)',
      'insert into due (stream, next_change_at) select stream, next_change_at from heads where next_change_at is not null',
      'create index due_next_change_at on due (next_change_at, stream)',
      'drop index heads_next_change_at',
    ],
  },
  {
    version: 8,
    name: "change feed: slimmer outbox rows, one index for a pair's changes and their ids",
    statements: [
      // `data` keeps only what no column says (outboxRow.ts): the id, kind, instant, business and user were
      // each written twice. Rebuilt with json, not jsonb, so that the parts kept are the same text (jsonb would
      // reorder their keys, and the change read back would not be the JSON told before).
      `update changes set data = case when data->'subject' is null
        then json_build_object('cause', data->'cause', 'data', data->'data')
        else json_build_object('subject', data->'subject', 'cause', data->'cause', 'data', data->'data') end`,
      // One unique index serves both the rewrite's read of a pair's changes from an instant (its prefix) and
      // the skipping of an id held already: an id is a hash that includes its pair and instant, so an id is
      // held at most once either way. Each outbox row now updates two indexes besides its key, not three.
      'alter table changes add constraint changes_stream_at_id unique (stream, at, id)',
      'alter table changes drop constraint changes_id_unique',
      'drop index changes_stream_at',
    ],
  },
];

/** Serialises concurrent `openStore` calls on one PostgreSQL database while they migrate. */
const MIGRATION_LOCK = 7_212_660_301;

/** Brings the schema up to date; returns its version. A database newer than this code is an error. */
export async function migrate(client: SqlClient, steps: readonly Migration[] = migrations): Promise<number> {
  return client.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Created only when missing: even `create table if not exists` is refused by a read-only database, and a
    // store whose schema is current opens on one (queries answer; writes fail as StoreUnavailable).
    const [table] = await tx.query<{ present: boolean }>(
      "select to_regclass('schema_migrations') is not null as present",
    );
    if (!table?.present)
      await tx.query(`create table schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`);
    const applied = new Set(
      (await tx.query<{ version: number }>('select version from schema_migrations')).map((r) => r.version),
    );
    const known = Math.max(0, ...steps.map((s) => s.version));
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new Error(
        `the database schema is at version ${newest}, newer than this callpermit knows (${known}): upgrade callpermit`,
      );
    }
    for (const step of [...steps].sort((a, b) => a.version - b.version)) {
      if (applied.has(step.version)) continue;
      for (const statement of step.statements) await tx.query(statement);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [
        step.version,
        step.name,
      ]);
    }
    return known;
  });
}
