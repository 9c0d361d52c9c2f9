// PGlite and a full disk. When a data file cannot grow, PGlite fails the statement cleanly (SQLSTATE 53100). But
// when its write-ahead log cannot grow, the embedded PostgreSQL panics and PGlite spins in WASM for good: the
// statement never answers and the whole process stops answering, health checks included (found by the soak's
// database-fault scenario on a 48 MB tmpfs; docs/reliability.md). So the embedded driver keeps a reserve: a write
// is refused, as StoreUnavailable disk-full, while the disk holding the data directory has less free space than
// the reserve, before PGlite can reach that state.
import { statfsSync } from 'node:fs';
import { StoreUnavailable } from './unavailable.js';

/** Free space kept on the data directory's disk: a new WAL segment (16 MB) and a large batch, with room. */
export const DEFAULT_DISK_RESERVE_MB = 64;

const MB = 1024 * 1024;
/** Statements that only read: every other statement is a write and checks the reserve first. */
const READ = /^\s*select\b/i;

/**
 * A check to run before each statement: it throws StoreUnavailable disk-full when `sql` writes and the disk of
 * `dir` has less than `reserveMb` free. A file system statfs cannot read is not checked.
 */
export function diskReserve(dir: string, reserveMb: number): (sql: string) => void {
  if (reserveMb <= 0) return () => {};
  return (sql) => {
    if (READ.test(sql)) return;
    let free: number;
    try {
      const stats = statfsSync(dir);
      free = stats.bavail * stats.bsize;
    } catch {
      return;
    }
    if (free < reserveMb * MB)
      throw new StoreUnavailable(
        'disk-full',
        `${(free / MB).toFixed(1)} MB free on the disk of ${dir}, below the ${reserveMb} MB the embedded database keeps in reserve`,
      );
  };
}
