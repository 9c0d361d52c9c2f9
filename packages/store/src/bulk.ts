import { numberArrayParam, numberOf, textArrayParam, uniqueViolation } from './codec.js';
import { BinaryCopyWriter } from './copyBinary.js';
import {
  CHANGE_COLUMNS,
  CHECKPOINT_COLUMNS,
  COMMIT_LOCK,
  type CommitRows,
  HEAD_COLUMNS,
  insertChanges,
  insertCheckpoints,
  type MovedHead,
  moveHeads,
  type PlannedChange,
  type PlannedCheckpoint,
  type PlannedFact,
  type PlannedHead,
} from './factStore.js';
import { INBOX_COLUMNS, type InboxRow, type InboxRows, recordBodies, type StoredBody } from './inbox.js';
import type { SqlClient } from './sqlClient.js';

// The bulk unit of work's writes (SqlStore.bulkIngest): the same statements as an ordinary commit and inbox
// record, with their rows loaded by binary COPY instead of sent as one JSON parameter. Rows that must be
// checked against what is stored (heads from an expected version, bodies the inbox may hold, checkpoints that
// may exist) are copied into a staging table of the transaction, which the statement then reads; new facts,
// whose keys the engine has just read as unknown, are copied straight into `facts`, and a fact stored by
// another writer meanwhile fails on the unique key like an ordinary commit.

/**
 * COPY `data` into `target` in a savepoint of its own: true when every row is in; false, with none of them
 * stored, when the unique `constraint` refused one (a row another writer stored meanwhile, or one held
 * already), so the caller sends them the way that skips such rows.
 */
async function copiedUnlessHeld(
  tx: SqlClient,
  target: string,
  data: Buffer[],
  constraint: string,
): Promise<boolean> {
  try {
    await tx.transaction((copy) => copy.copyFrom(target, data));
    return true;
  } catch (error) {
    if (uniqueViolation(error) !== constraint) throw error;
    return false;
  }
}

/**
 * Loads `data` (binary COPY rows of `columns`) into the temporary table `table`, made for this transaction
 * on first use and emptied before each load.
 */
async function stage(tx: SqlClient, table: string, columns: string, data: Buffer[]): Promise<void> {
  await tx.query(`create temporary table if not exists ${table} (${columns}) on commit drop`);
  await tx.query(`truncate ${table}`);
  await tx.copyFrom(table, data);
}

function headRows(heads: readonly PlannedHead[]): Buffer[] {
  const out = new BinaryCopyWriter();
  for (const h of heads) {
    out
      .row(10)
      .text(h.stream)
      .text(h.business)
      .int4(h.expected)
      .int8(h.expected_revision)
      .int4(h.version)
      .text(h.state === null ? null : JSON.stringify(h.state))
      .float8(h.last_at)
      .int2(h.keep)
      .float8(h.changes_until)
      .float8(h.next_change_at);
  }
  return out.chunks();
}

function factRows(facts: readonly PlannedFact[]): Buffer[] {
  const out = new BinaryCopyWriter();
  for (const f of facts) {
    out
      .row(7)
      .text(f.stream)
      .int4(f.version)
      .text(f.type)
      .float8(f.at)
      .int2(f.rank)
      .text(f.key)
      .text(JSON.stringify(f.data));
  }
  return out.chunks();
}

function checkpointRows(checkpoints: readonly PlannedCheckpoint[]): Buffer[] {
  const out = new BinaryCopyWriter();
  for (const c of checkpoints)
    out.row(5).text(c.stream).float8(c.at).int2(c.rank).text(c.key).text(JSON.stringify(c.state));
  return out.chunks();
}

/** Outbox rows as binary COPY data: as `CHANGE_COLUMNS` to stage them (`staged`), else as `CHANGES_COPY`. */
function changeRows(changes: readonly PlannedChange[], staged: boolean): Buffer[] {
  const out = new BinaryCopyWriter();
  for (const c of changes) {
    if (staged) out.row(7).int4(c.n);
    else out.row(6);
    out.text(c.id).text(c.stream).text(c.business).float8(c.at).text(c.kind).text(JSON.stringify(c.data));
  }
  return out.chunks();
}

/** Outbox rows straight into the table: in commit order, so their `seq` follow it. */
const CHANGES_COPY = 'changes (id, stream, business, at, kind, data)';

export const copyCommitRows: CommitRows = {
  prepare(plan) {
    const heads = plan.heads.length > 0 ? headRows(plan.heads) : [];
    // The other rows are encoded while the database moves the heads (below), or else when first needed.
    let rest: { facts: Buffer[]; checkpoints: Buffer[]; changes: Buffer[] } | undefined;
    const encoded = () => {
      rest ??= {
        facts: plan.facts.length > 0 ? factRows(plan.facts) : [],
        checkpoints: plan.checkpoints.length > 0 ? checkpointRows(plan.checkpoints) : [],
        changes: plan.changes.length > 0 ? changeRows(plan.changes, false) : [],
      };
      return rest;
    };
    return {
      async moveHeads(tx) {
        await stage(tx, 'callpermit_heads', HEAD_COLUMNS, heads);
        const moving = tx.query<MovedHead & Record<string, unknown>>(moveHeads('callpermit_heads i'));
        // Awaited by the caller; until then a failure must not count as unhandled.
        moving.catch(() => {});
        // The facts' and outbox rows (a batch's tens of milliseconds of encoding) are made while the database
        // moves the heads, once the move has left: encoded before the commit, they held up its first statement
        // while the database waited. The commit lock is held during the move anyway.
        await new Promise((resolve) => setImmediate(resolve));
        encoded();
        return moving;
      },
      async insertFacts(tx) {
        await tx.copyFrom('facts (stream, version, type, at, rank, key, data)', encoded().facts);
      },
      async insertCheckpoints(tx) {
        await stage(tx, 'callpermit_checkpoints', CHECKPOINT_COLUMNS, encoded().checkpoints);
        await tx.query(insertCheckpoints('callpermit_checkpoints c'));
      },
      // Copied straight into the outbox (a staging table and an INSERT … SELECT cost a third more per row).
      // Should the outbox hold one of the ids already, the COPY fails on the unique (stream, at, id): its
      // savepoint rolls back and the rows go through a staging table, where an id held already is skipped as in
      // an ordinary commit.
      async insertChanges(tx) {
        if (await copiedUnlessHeld(tx, CHANGES_COPY, encoded().changes, 'changes_stream_at_id')) return;
        await stage(tx, 'callpermit_changes', CHANGE_COLUMNS, changeRows(plan.changes, true));
        await tx.query(insertChanges('callpermit_changes c'));
      },
    };
  },

  // A unit of work that lost once takes the commit lock for the rest of its transaction: the engine's next
  // attempt then reads and commits with no other writer in between, so a long bulk batch cannot keep losing
  // to a busy live writer. Its inbox lines are stored by then, so it waits for no one while holding the lock.
  async afterConflict(unit) {
    await unit.query('select pg_advisory_xact_lock($1)', [COMMIT_LOCK]);
  },
};

const stagedInboxRows: InboxRows = async (client, rows) => {
  const out = new BinaryCopyWriter();
  for (const { n, item, body, deliveries } of rows) {
    out
      .row(8)
      .int4(n)
      .fields(body.copyFields)
      .text(item.source.file)
      .int4(item.source.line ?? null)
      .text(item.outcome)
      .text(item.reason ?? null)
      .int4(deliveries);
  }
  await stage(client, 'callpermit_inbox', INBOX_COLUMNS, out.chunks());
  return client.query<StoredBody & Record<string, unknown>>(recordBodies('callpermit_inbox i', 'i.body'));
};

// An index probe per body (see KNOWN_KEYS in factStore.ts for why not `hash = any($1)`).
const HELD_BODIES = `
select i.id, i.hash from unnest($1::text[]) as b(hash)
cross join lateral (select id, hash from inbox where inbox.hash = b.hash limit 1) i`;

const DELIVERED_AGAIN = `
update inbox set deliveries = inbox.deliveries + d.n, last_received_at = now()
from unnest($1::bigint[], $2::integer[]) as d(id, n)
where inbox.id = d.id
returning inbox.id, inbox.hash, inbox.deliveries`;

const INBOX_COPY = 'inbox (id, hash, body, source_file, source_line, outcome, reason, deliveries)';

/**
 * Bodies by COPY straight into the inbox: the ones it holds already are found first (an index probe per
 * body, the check the unique index makes anyway) and only counted; the new ones are copied (`copiedFresh`).
 * Should another writer store one of them meanwhile, the COPY fails on the unique hash: its savepoint rolls
 * back and those bodies go through the staging table instead. `held` is how many the inbox held.
 */
async function probedInboxRows(
  client: SqlClient,
  rows: readonly InboxRow[],
): Promise<{ stored: StoredBody[]; held: number }> {
  const held = new Map(
    (
      await client.query<{ id: unknown; hash: string }>(HELD_BODIES, [
        textArrayParam(rows.map((r) => r.body.hash)),
      ])
    ).map((r) => [r.hash, numberOf(r.id)]),
  );
  const again = rows.filter((r) => held.has(r.body.hash));
  const fresh = held.size === 0 ? rows : rows.filter((r) => !held.has(r.body.hash));
  const counted =
    again.length === 0
      ? []
      : await client.query<StoredBody & Record<string, unknown>>(DELIVERED_AGAIN, [
          numberArrayParam(again.map((r) => held.get(r.body.hash) as number)),
          numberArrayParam(again.map((r) => r.deliveries)),
        ]);
  if (fresh.length === 0) return { stored: counted, held: held.size };
  const copied = (await copiedFresh(client, fresh)) ?? (await stagedInboxRows(client, fresh));
  return { stored: [...counted, ...copied], held: held.size };
}

/**
 * Bodies taken as new, copied straight into the inbox with ids from its sequence, in order; undefined, with
 * none of them stored, when the inbox holds one of them (the COPY's savepoint rolled back).
 */
async function copiedFresh(client: SqlClient, fresh: readonly InboxRow[]): Promise<StoredBody[] | undefined> {
  // One row back, not one per body: the ids as one text.
  const [{ ids } = { ids: '' }] = await client.query<{ ids: string }>(
    "select string_agg(nextval('inbox_id_seq')::text, ',') as ids from generate_series(1, $1)",
    [fresh.length],
  );
  const idOf = ids.split(',').map(Number);
  const fields = new FieldCache();
  const out = new BinaryCopyWriter();
  for (let i = 0; i < fresh.length; i++) {
    const { item, body, deliveries } = fresh[i] as InboxRow;
    out
      .row(8)
      .int8(idOf[i] as number)
      .fields(body.copyFields)
      .fields(fields.text(item.source.file))
      .int4(item.source.line ?? null)
      .fields(fields.text(item.outcome))
      .text(item.reason ?? null)
      .int4(deliveries);
  }
  if (!(await copiedUnlessHeld(client, INBOX_COPY, out.chunks(), 'inbox_hash_key'))) return undefined;
  return fresh.map((r, i) => ({ id: idOf[i], hash: r.body.hash, deliveries: r.deliveries }));
}

/**
 * The inbox rows of one store's bulk units of work. A replay of lines the inbox has never seen holds none of
 * its bodies: they are copied straight in, without the probe (a probe per body costs about as much as the
 * COPY's own unique check). Once a COPY meets a held body (a file replayed again, or resumed after a kill), its
 * savepoint rolls back and the bodies are probed first (`probedInboxRows`), as they are for the following
 * records until a probe finds none held again: a replay of known lines pays one failed COPY, not one a batch.
 */
export function bulkInboxRows(): InboxRows {
  let probeFirst = false;
  return async (client, rows) => {
    if (!probeFirst) {
      const copied = await copiedFresh(client, rows);
      if (copied !== undefined) return copied;
    }
    const { stored, held } = await probedInboxRows(client, rows);
    probeFirst = held > 0;
    return stored;
  };
}

/** Text fields that repeat row after row (a file name, an outcome), laid out once. */
class FieldCache {
  private readonly laidOut = new Map<string, Uint8Array>();

  text(value: string): Uint8Array {
    let field = this.laidOut.get(value);
    if (field === undefined) {
      field = BinaryCopyWriter.textField(value);
      this.laidOut.set(value, field);
    }
    return field;
  }
}
