import path from 'node:path';
import type { FactStore } from '@callpermit/core';
import { bulkInboxRows, copyCommitRows } from './bulk.js';
import { abortedToBreakAConflict, jsonParam } from './codec.js';
import { COMMIT_LOCK, SqlFactStore } from './factStore.js';
import { type Inbox, type InboxRows, SqlInbox } from './inbox.js';
import { migrate } from './migrations.js';
import { openPostgres, type PostgresTimeouts, redactUrl } from './pgClient.js';
import { openPglite } from './pgliteClient.js';
import type { SqlClient } from './sqlClient.js';
import { SqlSubscriptions, type SubscriptionStore } from './subscriptions.js';

export interface StoreOptions extends PostgresTimeouts {
  /** PGlite data directory (or `memory://`); default `.callpermit/db` under the current directory. */
  readonly dataDir?: string;
  /**
   * PGlite: writes are refused (StoreUnavailable disk-full) while the data directory's disk has less free space
   * than this many megabytes (default 64; 0 turns the check off). See diskReserve.ts.
   */
  readonly diskReserveMb?: number;
  /**
   * PGlite: its buffer cache (PostgreSQL's `shared_buffers`) in megabytes, taken from the process's memory when
   * it opens (default 128, PostgreSQL's own; PGLITE_CACHE_MB bounds it). A bulk replay whose tables outgrow the
   * cache reads and writes index pages through the file system for every batch; `callpermit replay` asks for
   * more (cli `replayCacheMb`). A PostgreSQL server keeps its own setting.
   */
  readonly cacheMb?: number;
  /**
   * PGlite: it checkpoints once this many megabytes of write-ahead log were written since its last checkpoint
   * (default 512; 0 never, as before session 11), so the log on disk stays bounded (pgliteMaintenance.ts). A
   * PostgreSQL server's own checkpointer does this there.
   */
  readonly checkpointMb?: number;
  /** A PostgreSQL URL; when given, it wins over `dataDir`. */
  readonly databaseUrl?: string;
}

/** How many times a unit of work runs at most when the database keeps aborting it to break deadlocks. */
export const UNIT_ATTEMPTS = 4;
/** About how long (milliseconds, times the attempt, jittered) a unit waits before it runs again. */
export const UNIT_RETRY_MS = 10;

/** The environment variable that points every callpermit process at one PostgreSQL database. */
export const DATABASE_URL_ENV = 'CALLPERMIT_DATABASE_URL';
/** The environment variables of the store's limits: the PostgreSQL timeouts and PGlite's disk reserve. */
export const LIMITS_ENV = {
  connectTimeoutMs: 'CALLPERMIT_DB_CONNECT_TIMEOUT_MS',
  queryTimeoutMs: 'CALLPERMIT_DB_QUERY_TIMEOUT_MS',
  diskReserveMb: 'CALLPERMIT_DISK_RESERVE_MB',
  cacheMb: 'CALLPERMIT_PGLITE_CACHE_MB',
} as const;

/** What each of `LIMITS_ENV`'s variables holds, for the error that refuses anything else. */
const LIMITS_EXPECTED: Record<keyof typeof LIMITS_ENV, string> = {
  connectTimeoutMs: 'whole milliseconds (0 for no limit)',
  queryTimeoutMs: 'whole milliseconds (0 for no limit)',
  diskReserveMb: 'whole megabytes (0 for no limit)',
  cacheMb: 'whole megabytes',
};

/** Where the embedded database lives unless told otherwise. */
export function defaultDataDir(cwd: string = process.cwd()): string {
  return path.join(cwd, '.callpermit', 'db');
}

/**
 * `options` with the database URL from CALLPERMIT_DATABASE_URL when the options name none, and each limit the
 * options leave out from its variable (`LIMITS_ENV`: whole milliseconds or megabytes, 0 for none).
 */
export function storeOptionsFromEnv(
  options: StoreOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): StoreOptions {
  const url = env[DATABASE_URL_ENV];
  let result: StoreOptions =
    options.databaseUrl === undefined && url ? { ...options, databaseUrl: url } : options;
  for (const [option, name] of Object.entries(LIMITS_ENV) as [keyof typeof LIMITS_ENV, string][]) {
    const text = env[name]?.trim();
    if (!text || result[option] !== undefined) continue;
    if (!/^\d+$/.test(text)) throw new Error(`${name}: expected ${LIMITS_EXPECTED[option]}, got ${text}`);
    result = { ...result, [option]: Number(text) };
  }
  return result;
}

/**
 * The SQL client `openStore` would use for these options, unmigrated: PostgreSQL when a URL is given, else
 * PGlite. For tools that need SQL of their own (a benchmark's floor, an operator's query).
 */
export function openSqlClient(options: StoreOptions = {}): Promise<SqlClient> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options)
    : openPglite(
        options.dataDir ?? defaultDataDir(),
        options.diskReserveMb,
        options.cacheMb,
        options.checkpointMb,
      );
}

/** Opens (creating and migrating as needed) the store: PostgreSQL when a URL is given, else PGlite. */
export async function openStore(options: StoreOptions = {}): Promise<SqlStore> {
  const client = await openSqlClient(options);
  const location = options.databaseUrl
    ? redactUrl(options.databaseUrl)
    : path.resolve(options.dataDir ?? defaultDataDir());
  try {
    await migrate(client);
  } catch (error) {
    await client.close();
    throw error;
  }
  return new SqlStore(client, location);
}

/** Settings read and written inside a unit of work. */
export interface Settings {
  get(name: string): Promise<unknown>;
  put(name: string, value: unknown): Promise<void>;
}

async function settingIn(client: SqlClient, name: string): Promise<unknown> {
  const rows = await client.query<{ value: unknown }>('select value from settings where name = $1', [name]);
  return rows[0]?.value;
}

function settingsIn(client: SqlClient): Settings {
  return {
    get: (name) => settingIn(client, name),
    put: async (name, value) => {
      await client.query(
        'insert into settings (name, value) values ($1, $2::jsonb) on conflict (name) do update set value = excluded.value',
        [name, jsonParam(value)],
      );
    },
  };
}

/**
 * The durable store: the FactStore port, the inbox, and all-or-nothing units of work over both.
 * Inside `atomically` and `rebuild` use only the stores handed to the callback: on PGlite (one connection)
 * a query through the outer store would wait for the transaction it is part of.
 */
export class SqlStore extends SqlFactStore {
  readonly inbox: Inbox;
  /** The change feed's webhook subscriptions and their cursors. */
  readonly subscriptions: SubscriptionStore;
  /** How this store's bulk units of work record bodies: it learns from one unit to the next (bulk.ts). */
  private readonly bulkInbox: InboxRows = bulkInboxRows();

  constructor(
    client: SqlClient,
    /** The data directory or the URL (password hidden): for messages. */
    readonly location: string,
  ) {
    super(client);
    this.inbox = new SqlInbox(client);
    this.subscriptions = new SqlSubscriptions(client);
  }

  /**
   * A named setting the store keeps with its log, e.g. the policy its heads were folded under: a head is only
   * right for the policy it was folded with, so the policy belongs to the store, not to each query.
   */
  async setting(name: string): Promise<unknown> {
    return settingIn(this.client, name);
  }

  get driver(): SqlClient['driver'] {
    return this.client.driver;
  }

  /**
   * Runs `fn` in one transaction: facts committed through `facts` (e.g. by an Engine over it) and bodies
   * recorded in `inbox` are all stored, or none is when `fn` throws. When PostgreSQL aborts the transaction to
   * break a deadlock with another writer (two units storing the same new bodies in opposite orders, say), `fn`
   * runs again in a new one, up to `UNIT_ATTEMPTS` times in all: it must do nothing outside the transaction
   * that a second run would repeat.
   */
  atomically<T>(fn: (facts: FactStore, inbox: Inbox, settings: Settings) => Promise<T>): Promise<T> {
    return this.unitOfWork((tx) => fn(new SqlFactStore(tx), new SqlInbox(tx), settingsIn(tx)));
  }

  /**
   * `atomically` for bulk loads (a replay of a large file): the same all-or-nothing transaction, and the same
   * reads, checks and errors inside it, but commits and inbox records load their rows with binary COPY, which
   * costs the database far less per row than statements with JSON parameters and costs a few statements more
   * per call. A commit that loses to another writer (`ConcurrencyError`, `DuplicateFactError`) rolls back
   * alone as usual, and from then on the unit of work holds the commit lock to its end, so the engine's next
   * attempt cannot lose again (docs/storage.md).
   */
  bulkIngest<T>(fn: (facts: FactStore, inbox: Inbox, settings: Settings) => Promise<T>): Promise<T> {
    return this.unitOfWork((tx) =>
      fn(new SqlFactStore(tx, copyCommitRows), new SqlInbox(tx, this.bulkInbox), settingsIn(tx)),
    );
  }

  /** A transaction run again when the database aborted it to break a conflict (`atomically`). */
  private async unitOfWork<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.transaction(fn);
      } catch (error) {
        if (!abortedToBreakAConflict(error) || attempt >= UNIT_ATTEMPTS) throw error;
        // The transaction that survived goes on as soon as this one aborts. Run again at once, this one could
        // take the same rows first again and deadlock with it once more: a short random wait lets it finish.
        await new Promise((resolve) => setTimeout(resolve, attempt * UNIT_RETRY_MS * (0.5 + Math.random())));
      }
    }
  }

  /**
   * Re-derives the log: in one transaction, empties facts, heads and checkpoints (the inbox stays) and hands
   * `fn` an empty FactStore and the inbox to ingest again, e.g. `new Engine(fresh)` over `inbox.iterate()`.
   * If `fn` throws, the old log is left as it was. Other writers wait for the commit lock meanwhile; readers
   * on PostgreSQL see the old log until the commit.
   */
  rebuild<T>(fn: (fresh: FactStore, inbox: Inbox, settings: Settings) => Promise<T>): Promise<T> {
    return this.client.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [COMMIT_LOCK]);
      await tx.query('delete from checkpoints');
      await tx.query('delete from heads');
      await tx.query('delete from facts');
      // The outbox stays: what subscribers were told. A re-derived stream is compared with it (corrections).
      return fn(new SqlFactStore(tx), new SqlInbox(tx), settingsIn(tx));
    });
  }

  override async close(): Promise<void> {
    await this.client.close();
  }
}
