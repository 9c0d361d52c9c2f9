// An outbox row holds a change split in two: the columns queries select and order by (id, stream, business,
// instant, kind), and `data`, the rest of the change (its subject, cause and new value). Nothing is stored
// twice: the rows are the change feed's main cost in a bulk replay (docs/performance.md), and 140 of each row's
// 470 bytes had been the columns repeated in the JSON (migration 8).
import { type PairChange, parseStreamId } from '@callpermit/core';
import { numberOf } from './codec.js';

/** What an outbox row's `data` column holds. */
export type OutboxData = Pick<PairChange, 'subject' | 'cause' | 'data'>;

/** The part of `change` no column of its row holds. */
export function outboxData(change: PairChange): OutboxData {
  return change.subject === undefined
    ? { cause: change.cause, data: change.data }
    : { subject: change.subject, cause: change.cause, data: change.data };
}

/** An outbox row as the queries select it (`outboxColumns`). */
export interface OutboxRow {
  readonly id: string;
  readonly stream: string;
  readonly at: unknown;
  readonly kind: string;
  readonly data: OutboxData;
}

/** The columns of `OutboxRow`, of the relation `alias`. */
export function outboxColumns(alias: string): string {
  return `${alias}.id, ${alias}.stream, ${alias}.at, ${alias}.kind, ${alias}.data`;
}

/** The change a row holds, its keys in the order core makes them (a change's JSON is the same read back). */
export function changeOfRow(row: OutboxRow): PairChange {
  const { business, user } = parseStreamId(row.stream);
  const { subject, cause, data } = row.data;
  const id = row.id;
  const kind = row.kind as PairChange['kind'];
  const at = numberOf(row.at);
  return subject === undefined
    ? { id, kind, at, business, user, cause, data }
    : { id, kind, at, business, user, subject, cause, data };
}
