import { migrate, type Row, type SqlClient } from '@callpermit/store';

/**
 * The floors of a durable replay: the rows the replay stored, written again with plain multi-row
 * `INSERT … VALUES`, one transaction per batch of the replay, into copies of the store's tables:
 * - `keyed`: with the store's keys and indexes (unique idempotency key, stream + version, global position,
 *   fact order, unique body hash): what a database must do at least to hold the same data in a form the
 *   store can use. The benchmark's baseline.
 * - `plain`: the same columns without any key, index or check: the raw cost of the bytes, for information.
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
 * Creates the floor's tables in a fresh database: the store's schema, then copies of its two tables, with
 * everything (`keyed`) or with their columns and defaults only (`plain`).
 */
export async function createFloorTables(client: SqlClient): Promise<void> {
  await migrate(client);
  for (const table of ['facts', 'inbox']) {
    await client.query(`create table keyed_${table} (like ${table} including all)`);
    await client.query(`create table plain_${table} (like ${table} including defaults)`);
  }
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
