// PGlite runs PostgreSQL in single-user mode, where no checkpointer process runs: nothing ever checkpoints
// until the database closes. The write-ahead log then grows by every byte written, without end (a replay of
// 1M webhook lines left 2 GB of it, and a long-running `serve` would fill its disk), every new 16 MB segment is
// written twice (zero-filled, then used), and opening the directory after a crash replays all of it. Here the
// store checkpoints itself, as PostgreSQL's checkpointer would on `max_wal_size`: after a write, at most once a
// second, it asks how much log was written since the last checkpoint and checkpoints once that reaches a bound.
// A checkpoint lets PostgreSQL recycle the old segments, so the log stays within about twice the bound.
import type { PGlite } from '@electric-sql/pglite';

/**
 * The default bound: megabytes of log written since the last checkpoint that call for the next one. With it the
 * log takes about 1 GB on disk at most, as with PostgreSQL's default `max_wal_size`.
 */
export const DEFAULT_CHECKPOINT_MB = 512;
/** How often at most (milliseconds) the log's size is looked at: a query, so not after every write. */
const CHECK_EVERY_MS = 1000;

/** The log written since the last checkpoint's redo point, in bytes. */
const LOG_SINCE_CHECKPOINT = `select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 as bytes
  from pg_control_checkpoint()`;

export interface Checkpointer {
  /** Called after each write (a transaction, a statement, a COPY): may start a check in the background. */
  afterWrite(): void;
  /** Resolves once no check is running (before the database closes). */
  settled(): Promise<void>;
}

/**
 * Checkpoints `db` whenever `boundMb` megabytes of log were written since the last one (0: never). The check
 * runs in the background and never fails a write: a database that cannot checkpoint now (a full disk, a
 * read-only directory) is asked again at the next check.
 */
export function walCheckpointer(
  db: Pick<PGlite, 'query'>,
  boundMb: number,
  everyMs: number = CHECK_EVERY_MS,
): Checkpointer {
  let running: Promise<void> | undefined;
  let lastCheck = Number.NEGATIVE_INFINITY;
  const check = async () => {
    const { rows } = await db.query<{ bytes: number }>(LOG_SINCE_CHECKPOINT);
    if ((rows[0]?.bytes ?? 0) >= boundMb * 1024 * 1024) await db.query('checkpoint');
  };
  return {
    afterWrite() {
      if (boundMb === 0 || running !== undefined) return;
      const now = performance.now();
      if (now - lastCheck < everyMs) return;
      lastCheck = now;
      running = check()
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
