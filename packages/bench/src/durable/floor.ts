import { BinaryCopyWriter, migrate, type Row, type SqlClient } from '@callpermit/store';

/**
 * The floors of a durable replay: the rows the replay stored, written again into copies of the store's
 * tables in a second database:
 * - `copy`: every row the replay stored (facts, inbox, heads, checkpoints, and with the change feed on its
 *   outbox and due rows) by `COPY … FROM STDIN` in binary format, one COPY per table in one transaction, into
 *   tables with the store's keys and indexes (unique idempotency key, stream + version, global position, fact
 *   order, unique body hash, the heads' and checkpoints' keys, the outbox's unique (stream, at, id) and business
 *   lookup; `like … including all`, so they follow the store's migrations): the database's bulk-load limit for
 *   holding the same data in a form the store can use. The benchmark's baseline. (Until session 8 it left out
 *   the outbox and due rows and the heads' two feed columns, which a replay with the feed on writes too.)
 * - `keyed`: facts and inbox with plain multi-row `INSERT … VALUES`, one transaction per batch of the replay,
 *   into tables with the same keys and indexes (the baseline until issue 14).
 * - `plain`: the same without any key, index or check: the raw cost of the bytes, for information.
 */

/** The columns the replay's statements write; the rest (position, id, timestamps) are the tables' defaults. */
const FACT_COLUMNS = ['stream', 'version', 'type', 'at', 'rank', 'key', 'data'] as const;
const INBOX_COLUMNS = [
  'hash',
  'body',
  'source_file',
  'source_line',
  'outcome',
  'reason',
  'deliveries',
] as const;

/** Rows read (and written) per statement: well under PostgreSQL's 65,535 parameters a statement. */
const PAGE_ROWS = 5000;

/** The rows one replay transaction stored: its facts and its lines in the inbox. */
export interface StoredBatch {
  readonly facts: readonly Row[];
  readonly inbox: readonly Row[];
}

export type FloorTables = 'keyed' | 'plain';

/**
 * Creates the floors' tables in a fresh database: the store's schema, then copies of its tables, with
 * everything (`keyed` and `copy`: columns, defaults, keys, indexes, checks, compression) or with their
 * columns and defaults only (`plain`).
 */
export async function createFloorTables(client: SqlClient): Promise<void> {
  await migrate(client);
  for (const table of ['facts', 'inbox']) {
    await client.query(`create table keyed_${table} (like ${table} including all)`);
    await client.query(`create table plain_${table} (like ${table} including defaults)`);
  }
  for (const table of COPY_TABLES) {
    await client.query(`create table copy_${table.name} (like ${table.name} including all)`);
  }
}

/** How the copy floor reads one of the store's tables and writes its rows in binary COPY format. */
interface CopyTable {
  readonly name: string;
  readonly columns: readonly string[];
  /** The select list that reads those columns (json as text). */
  readonly select: string;
  /** The column rows are read and loaded in the order of, in pages; small tables are read whole. */
  readonly pageBy?: string;
  /** A table only the change feed writes (the floor left it out until session 8). */
  readonly feed?: true;
  write(out: BinaryCopyWriter, row: Row): void;
}

const num = (value: unknown): number | null => (value === null ? null : Number(value));

const COPY_TABLES: readonly CopyTable[] = [
  {
    name: 'facts',
    columns: FACT_COLUMNS,
    select: 'stream, version, type, at, rank, key, data::text as data',
    pageBy: 'position',
    write: (out, r) =>
      out
        .row(7)
        .text(r.stream as string)
        .int4(num(r.version))
        .text(r.type as string)
        .float8(num(r.at))
        .int2(num(r.rank))
        .text(r.key as string)
        .text(r.data as string),
  },
  {
    name: 'inbox',
    columns: INBOX_COLUMNS,
    select: INBOX_COLUMNS.join(', '),
    pageBy: 'id',
    write: (out, r) =>
      out
        .row(7)
        .text(r.hash as string)
        .bytes(r.body as Uint8Array)
        .text(r.source_file as string)
        .int4(num(r.source_line))
        .text(r.outcome as string)
        .text(r.reason as string | null)
        .int4(num(r.deliveries)),
  },
  {
    name: 'heads',
    columns: [
      'stream',
      'business',
      'version',
      'state',
      'last_at',
      'stale_from',
      'retained_from',
      'revision',
      'changes_until',
      'next_change_at',
    ],
    select:
      'stream, business, version, state::text as state, last_at, stale_from, retained_from, revision, ' +
      'changes_until, next_change_at',
    write: (out, r) =>
      out
        .row(10)
        .text(r.stream as string)
        .text(r.business as string)
        .int4(num(r.version))
        .text(r.state as string | null)
        .float8(num(r.last_at))
        .float8(num(r.stale_from))
        .float8(num(r.retained_from))
        .int8(num(r.revision))
        .float8(num(r.changes_until))
        .float8(num(r.next_change_at)),
  },
  {
    name: 'checkpoints',
    columns: ['stream', 'at', 'rank', 'key', 'state'],
    select: 'stream, at, rank, key, state::text as state',
    write: (out, r) =>
      out
        .row(5)
        .text(r.stream as string)
        .float8(num(r.at))
        .int2(num(r.rank))
        .text(r.key as string)
        .text(r.state as string),
  },
  // The change feed's outbox, in sequence order, and each head's next instant of change (empty with the feed off).
  {
    name: 'changes',
    columns: ['id', 'stream', 'business', 'at', 'kind', 'data'],
    select: 'id, stream, business, at, kind, data::text as data',
    pageBy: 'seq',
    feed: true,
    write: (out, r) =>
      out
        .row(6)
        .text(r.id as string)
        .text(r.stream as string)
        .text(r.business as string)
        .float8(num(r.at))
        .text(r.kind as string)
        .text(r.data as string),
  },
  {
    name: 'due',
    columns: ['stream', 'next_change_at'],
    select: 'stream, next_change_at',
    feed: true,
    write: (out, r) =>
      out
        .row(2)
        .text(r.stream as string)
        .float8(num(r.next_change_at)),
  },
];

/** The store's tables the copy floor loads: every table a replay writes. */
export const COPY_FLOOR_TABLES: readonly string[] = COPY_TABLES.map((t) => t.name);

/** Every row of the tables a replay writes, as binary COPY data per table, with the row counts. */
export interface CopyFloorData {
  readonly tables: readonly { readonly table: CopyTable; readonly rows: number; readonly data: Buffer[] }[];
}

/** Reads what the replay stored, every table whole, into COPY data (not timed). */
export async function copyFloorData(source: SqlClient): Promise<CopyFloorData> {
  const tables: { table: CopyTable; rows: number; data: Buffer[] }[] = [];
  for (const table of COPY_TABLES) {
    const out = new BinaryCopyWriter();
    const by = table.pageBy;
    if (by === undefined) {
      for (const row of await source.query(`select ${table.select} from ${table.name}`))
        table.write(out, row);
    } else {
      for (let after = 0; ; ) {
        const page = await source.query(
          `select ${by}, ${table.select} from ${table.name} where ${by} > $1 order by ${by} limit $2`,
          [after, PAGE_ROWS],
        );
        for (const row of page) table.write(out, row);
        if (page.length < PAGE_ROWS) break;
        after = Number(page[page.length - 1]?.[by]);
      }
    }
    tables.push({ table, rows: out.rows, data: out.chunks() });
  }
  return { tables };
}

/** What the copy floor took: the whole transaction, and each table's COPY within it. */
export interface CopyFloorTimes {
  readonly seconds: number;
  readonly tables: ReadonlyMap<string, number>;
  /** The COPYs of the tables the change feed does not write alone: the floor as it was until session 8. */
  readonly withoutFeedSeconds: number;
}

/**
 * The copy floor: one transaction, one `COPY … FROM STDIN (FORMAT binary)` per table into the keyed copies.
 * Returns the seconds it took and checks every row arrived.
 */
export async function loadByCopy(target: SqlClient, data: CopyFloorData): Promise<CopyFloorTimes> {
  const start = process.hrtime.bigint();
  const tables = new Map<string, number>();
  await target.transaction(async (tx) => {
    for (const { table, rows, data: chunks } of data.tables) {
      const began = process.hrtime.bigint();
      const loaded = await tx.copyFrom(`copy_${table.name} (${table.columns.join(', ')})`, chunks);
      if (loaded !== rows) throw new Error(`the copy floor loaded ${loaded} ${table.name} rows of ${rows}`);
      tables.set(table.name, Number(process.hrtime.bigint() - began) / 1e9);
    }
  });
  const withoutFeed = data.tables.filter(({ table }) => table.feed !== true);
  return {
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    tables,
    withoutFeedSeconds: withoutFeed.reduce((sum, { table }) => sum + (tables.get(table.name) ?? 0), 0),
  };
}

/** One replay batch, written the plain way: multi-row INSERTs in one transaction. */
export async function insertBatch(client: SqlClient, batch: StoredBatch, tables: FloorTables): Promise<void> {
  await client.transaction(async (tx) => {
    await insertRows(tx, `${tables}_facts`, FACT_COLUMNS, batch.facts, 'data');
    await insertRows(tx, `${tables}_inbox`, INBOX_COLUMNS, batch.inbox);
  });
}

async function insertRows(
  client: SqlClient,
  table: string,
  columns: readonly string[],
  rows: readonly Row[],
  jsonColumn?: string,
): Promise<void> {
  for (let start = 0; start < rows.length; start += PAGE_ROWS) {
    const page = rows.slice(start, start + PAGE_ROWS);
    const params: unknown[] = [];
    const tuples = page.map((row) => {
      const slots = columns.map((column) => {
        params.push(row[column]);
        return column === jsonColumn ? `$${params.length}::json` : `$${params.length}`;
      });
      return `(${slots.join(', ')})`;
    });
    await client.query(`insert into ${table} (${columns.join(', ')}) values ${tuples.join(', ')}`, params);
  }
}

/**
 * What a replay stored, batch by batch, read back from its database. Each transaction stamps its rows with
 * its own `now()` (`facts.recorded_at`, `inbox.received_at`), so grouping by that stamp gives back the
 * replay's batches exactly. Facts come as JSON text, ready to be sent again.
 */
export async function* storedBatches(client: SqlClient): AsyncGenerator<StoredBatch> {
  const facts = transactions(
    client,
    `select position, recorded_at::text as tx, stream, version, type, at, rank, key, data::text as data
     from facts where position > $1 order by position limit $2`,
    'position',
  );
  let pending = await facts.next();
  const inbox = transactions(
    client,
    `select id, received_at::text as tx, hash, body, source_file, source_line, outcome, reason, deliveries
     from inbox where id > $1 order by id limit $2`,
    'id',
  );
  for await (const lines of inbox) {
    let stored: readonly Row[] = [];
    if (!pending.done && pending.value.tx === lines.tx) {
      stored = pending.value.rows;
      pending = await facts.next();
    }
    yield { facts: stored, inbox: lines.rows };
  }
  if (!pending.done) throw new Error(`facts committed at ${pending.value.tx} belong to no batch of lines`);
}

/** Rows in `order` order, in pages, grouped by the transaction stamp `tx`. */
async function* transactions(
  client: SqlClient,
  sql: string,
  order: string,
): AsyncGenerator<{ tx: string; rows: Row[] }> {
  let after = 0;
  let group: { tx: string; rows: Row[] } | undefined;
  for (;;) {
    const page = await client.query(sql, [after, PAGE_ROWS]);
    for (const row of page) {
      after = Number(row[order]);
      const tx = row.tx as string;
      if (group?.tx === tx) group.rows.push(row);
      else {
        if (group) yield group;
        group = { tx, rows: [row] };
      }
    }
    if (page.length < PAGE_ROWS) break;
  }
  if (group) yield group;
}
