// Outbound webhook subscriptions to the change feed and their cursors: where to deliver, which changes, and
// how far each got. The delivering processes share them through the store: a subscription is claimed for a
// while (a lease, picked with FOR UPDATE SKIP LOCKED), so several `serve` instances on one PostgreSQL deliver
// each change once between them, and one that dies leaves it to another when its lease runs out.
// Instants are Unix seconds (fractions allowed) from the delivering process's clock.
import type { FactStore } from '@callpermit/core';
import { jsonParam, nullableNumber, numberOf, textArrayParam } from './codec.js';
import type { SqlClient } from './sqlClient.js';

/** What a subscriber asks for. `businesses`, `kinds`: null for every one. */
export interface SubscriptionSpec {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly businesses: readonly string[] | null;
  readonly kinds: readonly string[] | null;
  /** Where the cursor starts: the last seq not to deliver; absent, the latest change when it is made. */
  readonly after?: number;
}

export type SubscriptionOrigin = 'file' | 'api';

/** A subscription and its delivery state. */
export interface Subscription extends Omit<SubscriptionSpec, 'after'> {
  readonly origin: SubscriptionOrigin;
  /** Paused after failing for too long: nothing is delivered until it is resumed. */
  readonly status: 'active' | 'paused';
  /** The last seq delivered (or skipped: not for this subscriber). */
  readonly cursor: number;
  /** Deliveries that failed in a row. */
  readonly failures: number;
  /** When the current run of failures began. */
  readonly failingSince: number | null;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  /** Changes delivered so far. */
  readonly delivered: number;
}

/** What a failed delivery leaves. */
export interface DeliveryFailure {
  readonly failures: number;
  readonly failingSince: number;
  readonly nextAttemptAt: number;
  readonly lastError: string;
  readonly pause: boolean;
}

/** The subscriptions of a store (SQL), or of a process (memory). */
export interface SubscriptionStore {
  /** A new subscription (`api`); an id taken already is an error. */
  create(spec: SubscriptionSpec): Promise<Subscription>;
  /**
   * The subscriptions of the subscriptions file: made or updated (url, secret, filters) by id, their cursors
   * kept; file subscriptions no longer in it are removed. Those made through the API are left alone.
   */
  syncFile(specs: readonly SubscriptionSpec[]): Promise<void>;
  list(): Promise<Subscription[]>;
  get(id: string): Promise<Subscription | undefined>;
  remove(id: string): Promise<boolean>;
  /** Active again, its failures forgotten, next attempt at `now`. */
  resume(id: string, now: number): Promise<Subscription | undefined>;
  /**
   * Claims the active subscription whose next attempt is the earliest due at `now` and that no other owner
   * holds, for `leaseSeconds`; undefined when none is.
   */
  claim(owner: string, now: number, leaseSeconds: number): Promise<Subscription | undefined>;
  /**
   * The claim ends: the cursor moves to `cursor` (`delivered` more changes delivered), failures are
   * forgotten, the next attempt is at `nextAttemptAt`. False (and nothing changed) when the lease was lost.
   */
  advance(
    id: string,
    owner: string,
    cursor: number,
    delivered: number,
    nextAttemptAt: number,
  ): Promise<boolean>;
  /** The claim ends with a failed delivery. False (and nothing changed) when the lease was lost. */
  fail(id: string, owner: string, failure: DeliveryFailure): Promise<boolean>;
}

/** A subscription id taken already. */
export class SubscriptionExists extends Error {
  constructor(readonly id: string) {
    super(`a subscription with id ${id} exists already`);
    this.name = 'SubscriptionExists';
  }
}

interface SubscriptionRow {
  id: string;
  url: string;
  secret: string;
  businesses: string[] | null;
  kinds: string[] | null;
  origin: SubscriptionOrigin;
  status: 'active' | 'paused';
  cursor: unknown;
  failures: unknown;
  failing_since: unknown;
  next_attempt_at: unknown;
  last_error: string | null;
  delivered: unknown;
}

function fromRow(r: SubscriptionRow): Subscription {
  return {
    id: r.id,
    url: r.url,
    secret: r.secret,
    businesses: r.businesses,
    kinds: r.kinds,
    origin: r.origin,
    status: r.status,
    cursor: numberOf(r.cursor),
    failures: numberOf(r.failures),
    failingSince: nullableNumber(r.failing_since),
    nextAttemptAt: numberOf(r.next_attempt_at),
    lastError: r.last_error,
    delivered: numberOf(r.delivered),
  };
}

const COLUMNS =
  'id, url, secret, businesses, kinds, origin, status, cursor, failures, failing_since, next_attempt_at, last_error, delivered';
const LATEST = '(select coalesce(max(seq), 0) from changes)';

/** The subscriptions kept in a store's database (one schema with the log and the outbox). */
export class SqlSubscriptions implements SubscriptionStore {
  constructor(private readonly client: SqlClient) {}

  async create(spec: SubscriptionSpec): Promise<Subscription> {
    const rows = await this.client.query<SubscriptionRow & Record<string, unknown>>(
      `insert into subscriptions (id, url, secret, businesses, kinds, origin, cursor)
       values ($1, $2, $3, $4::json, $5::json, 'api', coalesce($6::bigint, ${LATEST}))
       on conflict (id) do nothing
       returning ${COLUMNS}`,
      [spec.id, spec.url, spec.secret, jsonParam(spec.businesses), jsonParam(spec.kinds), spec.after ?? null],
    );
    const [row] = rows;
    if (row === undefined) throw new SubscriptionExists(spec.id);
    return fromRow(row);
  }

  async syncFile(specs: readonly SubscriptionSpec[]): Promise<void> {
    await this.client.transaction(async (tx) => {
      await tx.query(`delete from subscriptions where origin = 'file' and not (id = any($1::text[]))`, [
        textArrayParam(specs.map((s) => s.id)),
      ]);
      for (const spec of specs)
        await tx.query(
          `insert into subscriptions (id, url, secret, businesses, kinds, origin, cursor)
           values ($1, $2, $3, $4::json, $5::json, 'file', coalesce($6::bigint, ${LATEST}))
           on conflict (id) do update set url = excluded.url, secret = excluded.secret,
             businesses = excluded.businesses, kinds = excluded.kinds, origin = 'file'`,
          [
            spec.id,
            spec.url,
            spec.secret,
            jsonParam(spec.businesses),
            jsonParam(spec.kinds),
            spec.after ?? null,
          ],
        );
    });
  }

  async list(): Promise<Subscription[]> {
    const rows = await this.client.query<SubscriptionRow & Record<string, unknown>>(
      `select ${COLUMNS} from subscriptions order by id`,
    );
    return rows.map(fromRow);
  }

  async get(id: string): Promise<Subscription | undefined> {
    const [row] = await this.client.query<SubscriptionRow & Record<string, unknown>>(
      `select ${COLUMNS} from subscriptions where id = $1`,
      [id],
    );
    return row && fromRow(row);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.client.query('delete from subscriptions where id = $1 returning id', [id])).length > 0;
  }

  async resume(id: string, now: number): Promise<Subscription | undefined> {
    const [row] = await this.client.query<SubscriptionRow & Record<string, unknown>>(
      `update subscriptions set status = 'active', failures = 0, failing_since = null, last_error = null,
         next_attempt_at = $2
       where id = $1 returning ${COLUMNS}`,
      [id, now],
    );
    return row && fromRow(row);
  }

  async claim(owner: string, now: number, leaseSeconds: number): Promise<Subscription | undefined> {
    const [row] = await this.client.query<SubscriptionRow & Record<string, unknown>>(
      `update subscriptions set lease_owner = $1, lease_until = $2::double precision + $3
       where id = (
         select id from subscriptions
         where status = 'active' and next_attempt_at <= $2 and (lease_until is null or lease_until < $2)
         order by next_attempt_at, id
         limit 1
         for update skip locked
       )
       returning ${COLUMNS}`,
      [owner, now, leaseSeconds],
    );
    return row && fromRow(row);
  }

  async advance(
    id: string,
    owner: string,
    cursor: number,
    delivered: number,
    nextAttemptAt: number,
  ): Promise<boolean> {
    const rows = await this.client.query(
      `update subscriptions set cursor = greatest(cursor, $3), delivered = delivered + $4, failures = 0,
         failing_since = null, last_error = null, next_attempt_at = $5, lease_owner = null, lease_until = null
       where id = $1 and lease_owner = $2 returning id`,
      [id, owner, cursor, delivered, nextAttemptAt],
    );
    return rows.length > 0;
  }

  async fail(id: string, owner: string, f: DeliveryFailure): Promise<boolean> {
    const rows = await this.client.query(
      `update subscriptions set failures = $3, failing_since = $4, next_attempt_at = $5, last_error = $6,
         status = case when $7 then 'paused' else status end, lease_owner = null, lease_until = null
       where id = $1 and lease_owner = $2 returning id`,
      [id, owner, f.failures, f.failingSince, f.nextAttemptAt, f.lastError, f.pause],
    );
    return rows.length > 0;
  }
}

type MemoryRow = Subscription & { leaseOwner: string | null; leaseUntil: number | null };

/**
 * Subscriptions held by one process, over any FactStore (an embedded Engine over the memory store): the same
 * rules, nothing shared with other processes.
 */
export class MemorySubscriptions implements SubscriptionStore {
  private readonly rows = new Map<string, MemoryRow>();

  constructor(private readonly store: FactStore) {}

  /** The latest change's seq: where a subscription starts unless told otherwise. */
  private async latest(): Promise<number> {
    let after = 0;
    for (;;) {
      const page = await this.store.readChanges(after, 10_000);
      if (page.length === 0) return after;
      after = page.at(-1)?.seq ?? after;
    }
  }

  private async make(spec: SubscriptionSpec, origin: SubscriptionOrigin): Promise<MemoryRow> {
    const { after, ...rest } = spec;
    return {
      ...rest,
      origin,
      status: 'active',
      cursor: after ?? (await this.latest()),
      failures: 0,
      failingSince: null,
      nextAttemptAt: 0,
      lastError: null,
      delivered: 0,
      leaseOwner: null,
      leaseUntil: null,
    };
  }

  private view(row: MemoryRow): Subscription {
    const { leaseOwner: _o, leaseUntil: _u, ...sub } = row;
    return sub;
  }

  async create(spec: SubscriptionSpec): Promise<Subscription> {
    if (this.rows.has(spec.id)) throw new SubscriptionExists(spec.id);
    const row = await this.make(spec, 'api');
    this.rows.set(spec.id, row);
    return this.view(row);
  }

  async syncFile(specs: readonly SubscriptionSpec[]): Promise<void> {
    const ids = new Set(specs.map((s) => s.id));
    for (const [id, row] of this.rows) if (row.origin === 'file' && !ids.has(id)) this.rows.delete(id);
    for (const spec of specs) {
      const held = this.rows.get(spec.id);
      const { after: _, ...rest } = spec;
      this.rows.set(spec.id, held ? { ...held, ...rest, origin: 'file' } : await this.make(spec, 'file'));
    }
  }

  async list(): Promise<Subscription[]> {
    return [...this.rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => this.view(r));
  }

  async get(id: string): Promise<Subscription | undefined> {
    const row = this.rows.get(id);
    return row && this.view(row);
  }

  async remove(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  async resume(id: string, now: number): Promise<Subscription | undefined> {
    const row = this.rows.get(id);
    if (!row) return undefined;
    const next: MemoryRow = {
      ...row,
      status: 'active',
      failures: 0,
      failingSince: null,
      lastError: null,
      nextAttemptAt: now,
    };
    this.rows.set(id, next);
    return this.view(next);
  }

  async claim(owner: string, now: number, leaseSeconds: number): Promise<Subscription | undefined> {
    let found: MemoryRow | undefined;
    for (const row of this.rows.values()) {
      if (row.status !== 'active' || row.nextAttemptAt > now) continue;
      if (row.leaseUntil !== null && row.leaseUntil >= now) continue;
      if (
        !found ||
        row.nextAttemptAt < found.nextAttemptAt ||
        (row.nextAttemptAt === found.nextAttemptAt && row.id < found.id)
      )
        found = row;
    }
    if (!found) return undefined;
    const claimed = { ...found, leaseOwner: owner, leaseUntil: now + leaseSeconds };
    this.rows.set(found.id, claimed);
    return this.view(claimed);
  }

  private ours(id: string, owner: string): MemoryRow | undefined {
    const row = this.rows.get(id);
    return row?.leaseOwner === owner ? row : undefined;
  }

  async advance(
    id: string,
    owner: string,
    cursor: number,
    delivered: number,
    nextAttemptAt: number,
  ): Promise<boolean> {
    const row = this.ours(id, owner);
    if (!row) return false;
    this.rows.set(id, {
      ...row,
      cursor: Math.max(row.cursor, cursor),
      delivered: row.delivered + delivered,
      failures: 0,
      failingSince: null,
      lastError: null,
      nextAttemptAt,
      leaseOwner: null,
      leaseUntil: null,
    });
    return true;
  }

  async fail(id: string, owner: string, f: DeliveryFailure): Promise<boolean> {
    const row = this.ours(id, owner);
    if (!row) return false;
    this.rows.set(id, {
      ...row,
      failures: f.failures,
      failingSince: f.failingSince,
      nextAttemptAt: f.nextAttemptAt,
      lastError: f.lastError,
      status: f.pause ? 'paused' : row.status,
      leaseOwner: null,
      leaseUntil: null,
    });
    return true;
  }
}
