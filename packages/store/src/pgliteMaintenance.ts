// PGlite runs PostgreSQL in single-user mode, where neither the checkpointer nor autovacuum runs, and PGlite
// itself runs neither. So the store does the two jobs an open database cannot go without:
// - Checkpoints. Without them nothing checkpoints until the database closes: the write-ahead log grows by every
//   byte written, without end (a replay of 1M webhook lines left 2 GB of it, and a long-running `serve` would
//   fill its disk), every new 16 MB segment is written twice (zero-filled, then used), and opening the
//   directory after a crash replays all of it. A checkpoint once `checkpointMb` of log were written since the
//   last one lets PostgreSQL recycle the old segments, so the log stays within about twice the bound.
// - Freezing. Transaction ids wrap around after about two billion; PostgreSQL refuses every write well before
//   then unless old rows are frozen, which autovacuum does. Once the oldest unfrozen transaction is
//   `freezeAge` transactions old, the store runs `VACUUM (FREEZE)`.
// Both are looked at after the database is used, at most once a second (it is a query), in the background.
/**
 * The default bound: megabytes of log written since the last checkpoint that call for the next one. With it the
 * log takes about 1 GB on disk at most, as with PostgreSQL's default `max_wal_size`.
 */
export const DEFAULT_CHECKPOINT_MB = 512;
/** The default age (transactions) at which rows are frozen: PostgreSQL's `autovacuum_freeze_max_age`. */
export const DEFAULT_FREEZE_AGE = 200_000_000;
/** How often at most (milliseconds) the database is looked at. */
const CHECK_EVERY_MS = 1000;

/** The log written since the last checkpoint's redo point (bytes), and the age of the oldest unfrozen id. */
const LOOK = `select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 as log_bytes,
    (select age(datfrozenxid) from pg_database where datname = current_database())::float8 as xid_age
  from pg_control_checkpoint()`;

export interface MaintenanceOptions {
  /** Checkpoint once this many megabytes of log were written since the last checkpoint (0: never). */
  readonly checkpointMb?: number;
  /** Freeze once the oldest unfrozen transaction is this old (0: never). */
  readonly freezeAge?: number;
  /** Look at most this often (milliseconds). */
  readonly everyMs?: number;
}

export interface Maintenance {
  /**
   * Called after each use of the database (a transaction, a statement, a COPY; a read too, which costs at most
   * one look a second): may start a look in the background.
   */
  afterUse(): void;
  /** Resolves once no look is running (before the database closes). */
  settled(): Promise<void>;
}

/** Runs one statement and answers its rows (the client's own, so its disk reserve applies). */
export type RunStatement = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * Checkpoints and freezes the database `run` reaches as `options` say. A look never fails a write: a database
 * that cannot checkpoint or vacuum now (a full disk, a read-only directory) is looked at again after a later
 * write.
 */
export function pgliteMaintenance(run: RunStatement, options: MaintenanceOptions = {}): Maintenance {
  const checkpointMb = options.checkpointMb ?? DEFAULT_CHECKPOINT_MB;
  const freezeAge = options.freezeAge ?? DEFAULT_FREEZE_AGE;
  const everyMs = options.everyMs ?? CHECK_EVERY_MS;
  let running: Promise<void> | undefined;
  let lastLook = Number.NEGATIVE_INFINITY;
  const look = async () => {
    const [seen] = (await run(LOOK)) as { log_bytes: number; xid_age: number }[];
    if (seen === undefined) return;
    if (freezeAge > 0 && seen.xid_age >= freezeAge) await run('vacuum (freeze)');
    if (checkpointMb > 0 && seen.log_bytes >= checkpointMb * 1024 * 1024) await run('checkpoint');
  };
  return {
    afterUse() {
      if ((checkpointMb === 0 && freezeAge === 0) || running !== undefined) return;
      const now = performance.now();
      if (now - lastLook < everyMs) return;
      lastLook = now;
      running = look()
        .catch(() => {})
        .finally(() => {
          running = undefined;
        });
    },
    async settled() {
      await running;
    },
  };
}
