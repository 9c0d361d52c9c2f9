import { bytesOf, isoOf, jsonParam, numberOf } from './codec.js';
import { EncodedBody, encodeBody, sha256Hex } from './encodedBody.js';
import type { SqlClient } from './sqlClient.js';

/** What became of a received body: its facts were applied, were all known, it carried none, or it was bad. */
export type InboxOutcome = 'applied' | 'duplicate' | 'ignored' | 'rejected';
export const inboxOutcomes: readonly InboxOutcome[] = ['applied', 'duplicate', 'ignored', 'rejected'];

/** Where a body came from: a capture file and line, or e.g. `webhook` for an HTTP delivery (no line). */
export interface InboxSource {
  readonly file: string;
  readonly line?: number;
}

/** One received capture line or webhook body, as received, with what became of it. */
export interface InboxDelivery {
  /** The text as received, or the same encoded ahead of time. */
  readonly body: string | EncodedBody;
  readonly source: InboxSource;
  readonly outcome: InboxOutcome;
  /** Required for `rejected`: the line, field and reason the user is shown. */
  readonly reason?: string;
}

export interface InboxReceipt {
  readonly id: number;
  /** sha256 of the body's UTF-8 bytes, hex. */
  readonly hash: string;
  /** Deliveries of this body so far, this one included. */
  readonly deliveries: number;
  /** The body was stored already (by an earlier call, or earlier in this one): only its count moved. */
  readonly repeated: boolean;
}

export interface InboxEntry {
  readonly id: number;
  readonly hash: string;
  readonly body: string;
  readonly source: InboxSource;
  readonly outcome: InboxOutcome;
  readonly reason: string | null;
  readonly deliveries: number;
  /** ISO-8601 instants of the first and the latest delivery. */
  readonly receivedAt: string;
  readonly lastReceivedAt: string;
}

export type InboxCounts = Record<InboxOutcome, number> & {
  /** Deliveries of a body that was stored already (counted once above, under its outcome). */
  readonly repeated: number;
};

/**
 * Every body received, verbatim, stored once per content hash with a delivery count: the input `rebuild`
 * derives all facts from again. An outcome is what the body did when it was first processed (or at the last
 * rebuild): a later delivery of the same body only counts.
 */
export interface Inbox {
  record(items: readonly InboxDelivery[]): Promise<InboxReceipt[]>;
  /**
   * Every stored body in arrival order, read in pages; with `outcome` and `containing`, only the bodies with that
   * outcome whose text holds every one of those strings (filtered by the database: the rest never leave it).
   */
  iterate(options?: InboxQuery): AsyncIterable<InboxEntry>;
  counts(): Promise<InboxCounts>;
  /** New outcomes for stored bodies, e.g. after a rebuild processed them again. */
  reclassify(
    updates: readonly { readonly id: number; readonly outcome: InboxOutcome; readonly reason?: string }[],
  ): Promise<void>;
}

/** Which bodies `Inbox.iterate` reads. */
export interface InboxQuery {
  readonly pageSize?: number;
  readonly outcome?: InboxOutcome;
  /** Substrings every body read must contain (matched on the UTF-8 bytes). */
  readonly containing?: readonly string[];
}

export function bodyHash(body: string): string {
  return sha256Hex(body);
}

function encoded(body: string | EncodedBody): EncodedBody {
  return typeof body === 'string' ? encodeBody(body) : body;
}

/**
 * Stores the distinct bodies of `input` (columns as `INBOX_COLUMNS`, with `body` given by `bodyExpr`): new
 * ones inserted in `n` order, known ones counted as delivered again. Returns every body's row.
 */
export function recordBodies(input: string, bodyExpr: string): string {
  return `
insert into inbox (hash, body, source_file, source_line, outcome, reason, deliveries)
select i.hash, ${bodyExpr}, i.file, i.line, i.outcome, i.reason, i.deliveries
from ${input}
order by i.n
on conflict (hash) do update
set deliveries = inbox.deliveries + excluded.deliveries, last_received_at = now()
returning id, hash, deliveries`;
}

/** The columns of a distinct body to record, as SQL (`body` as bytes; the JSON form sends it in base64). */
export const INBOX_COLUMNS =
  'n integer, hash text, body bytea, file text, line integer, outcome text, reason text, deliveries integer';

const RECORD = recordBodies(
  `json_to_recordset($1::json) as i(${INBOX_COLUMNS.replace('body bytea', 'body text')})`,
  "decode(i.body, 'base64')",
);

const decoder = new TextDecoder();

/** One distinct body of a `record` call: its first delivery in the call and how many the call carries. */
export interface InboxRow {
  /** Its place among the call's distinct bodies: ids follow it. */
  readonly n: number;
  readonly item: InboxDelivery;
  readonly body: EncodedBody;
  deliveries: number;
}

/** What storing a body answers: its row, and its deliveries so far (this call's included). */
export interface StoredBody {
  readonly id: unknown;
  readonly hash: string;
  readonly deliveries: unknown;
}

/**
 * How `record` stores its distinct bodies (new ones inserted, known ones counted) and reads back each one's
 * row: by default one statement with the rows as a JSON parameter; a bulk unit of work loads them with COPY
 * (bulk.ts).
 */
export type InboxRows = (client: SqlClient, rows: readonly InboxRow[]) => Promise<StoredBody[]>;

const jsonInboxRows: InboxRows = (client, rows) => {
  // The parameter is a few MB for a replay batch: written from the bodies' ready-made members (every other
  // value is JSON.stringify-ed) instead of one JSON.stringify of it all.
  let param = '[';
  for (const { n, item, body, deliveries } of rows) {
    if (n > 0) param += ',';
    param += `{"n":${n},${body.members},"file":${JSON.stringify(item.source.file)},`;
    param += `"line":${item.source.line ?? null},"outcome":${JSON.stringify(item.outcome)},`;
    param += `"reason":${JSON.stringify(item.reason ?? null)},"deliveries":${deliveries}}`;
  }
  param += ']';
  return client.query<StoredBody & Record<string, unknown>>(RECORD, [param]);
};

export class SqlInbox implements Inbox {
  constructor(
    private readonly client: SqlClient,
    private readonly store: InboxRows = jsonInboxRows,
  ) {}

  async record(items: readonly InboxDelivery[]): Promise<InboxReceipt[]> {
    for (const [i, item] of items.entries()) validate(item, i);
    // One row per distinct body: a body twice in one batch is one row delivered twice.
    const rows = new Map<string, InboxRow>();
    const hashes = items.map((item) => {
      const body = encoded(item.body);
      const row = rows.get(body.hash);
      if (row) row.deliveries++;
      else rows.set(body.hash, { n: rows.size, item, body, deliveries: 1 });
      return body.hash;
    });
    if (rows.size === 0) return [];
    const stored = await this.store(this.client, [...rows.values()]);
    const byHash = new Map(
      stored.map((r) => [r.hash, { id: numberOf(r.id), total: numberOf(r.deliveries) }]),
    );
    // Number each item's delivery within the body's total, so the first of a new body is not `repeated`.
    const seen = new Map<string, number>();
    return hashes.map((hash) => {
      const { id, total } = byHash.get(hash) as { id: number; total: number };
      const inBatch = (rows.get(hash) as { deliveries: number }).deliveries;
      const nth = (seen.get(hash) ?? 0) + 1;
      seen.set(hash, nth);
      const deliveries = total - inBatch + nth;
      return { id, hash, deliveries, repeated: deliveries > 1 };
    });
  }

  async *iterate(options: InboxQuery = {}): AsyncIterable<InboxEntry> {
    const pageSize = options.pageSize ?? 500;
    const filters: string[] = [];
    const params: unknown[] = [];
    if (options.outcome !== undefined) {
      params.push(options.outcome);
      filters.push(`and outcome = $${params.length + 2}`);
    }
    for (const text of options.containing ?? []) {
      params.push(Buffer.from(text, 'utf8'));
      filters.push(`and position($${params.length + 2}::bytea in body) > 0`);
    }
    let after = 0;
    for (;;) {
      const rows = await this.client.query(
        `select id, hash, body, source_file, source_line, outcome, reason, deliveries, received_at,
                last_received_at
         from inbox where id > $1 ${filters.join(' ')} order by id limit $2`,
        [after, pageSize, ...params],
      );
      for (const r of rows) {
        const entry = entryOf(r);
        after = entry.id;
        yield entry;
      }
      if (rows.length < pageSize) return;
    }
  }

  async counts(): Promise<InboxCounts> {
    const rows = await this.client.query<{ outcome: InboxOutcome; bodies: unknown; repeated: unknown }>(
      'select outcome, count(*) as bodies, sum(deliveries - 1) as repeated from inbox group by outcome',
    );
    const counts = { applied: 0, duplicate: 0, ignored: 0, rejected: 0, repeated: 0 };
    for (const r of rows) {
      counts[r.outcome] = numberOf(r.bodies);
      counts.repeated += numberOf(r.repeated);
    }
    return counts;
  }

  async reclassify(
    updates: readonly { readonly id: number; readonly outcome: InboxOutcome; readonly reason?: string }[],
  ): Promise<void> {
    for (const [i, u] of updates.entries())
      validateOutcome(u.outcome, u.reason, `update ${i + 1} (id ${u.id})`);
    if (updates.length === 0) return;
    await this.client.query(
      `update inbox set outcome = u.outcome, reason = u.reason
       from json_to_recordset($1::json) as u(id bigint, outcome text, reason text)
       where inbox.id = u.id`,
      [jsonParam(updates.map((u) => ({ id: u.id, outcome: u.outcome, reason: u.reason ?? null })))],
    );
  }
}

function entryOf(r: Record<string, unknown>): InboxEntry {
  const line = r.source_line;
  return {
    id: numberOf(r.id),
    hash: r.hash as string,
    body: decoder.decode(bytesOf(r.body)),
    source:
      line === null
        ? { file: r.source_file as string }
        : { file: r.source_file as string, line: numberOf(line) },
    outcome: r.outcome as InboxOutcome,
    reason: r.reason as string | null,
    deliveries: numberOf(r.deliveries),
    receivedAt: isoOf(r.received_at),
    lastReceivedAt: isoOf(r.last_received_at),
  };
}

function validate(item: InboxDelivery, index: number): void {
  const where = `inbox item ${index + 1}`;
  if (typeof item.body !== 'string' && !(item.body instanceof EncodedBody))
    throw new TypeError(`${where}: body must be a string (or one made by encodeBody)`);
  if (typeof item.source?.file !== 'string' || item.source.file === '') {
    throw new TypeError(`${where}: source.file must name the file or channel the body came from`);
  }
  const line = item.source.line;
  if (line !== undefined && !(Number.isSafeInteger(line) && line > 0)) {
    throw new TypeError(`${where}: source.line must be a positive integer, got ${line}`);
  }
  validateOutcome(item.outcome, item.reason, where);
}

function validateOutcome(outcome: InboxOutcome, reason: string | undefined, where: string): void {
  if (!inboxOutcomes.includes(outcome)) {
    throw new TypeError(`${where}: outcome must be one of ${inboxOutcomes.join(', ')}, got ${outcome}`);
  }
  if (outcome === 'rejected' && !reason) throw new TypeError(`${where}: a rejected body needs a reason`);
}
