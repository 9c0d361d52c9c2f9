import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { walCheckpointer } from './pgliteCheckpoints.js';

const MB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Bytes of write-ahead log on disk. */
function logOnDisk(dataDir: string): number {
  const wal = path.join(dataDir, 'pg_wal');
  let bytes = 0;
  for (const name of readdirSync(wal)) {
    const file = path.join(wal, name);
    if (statSync(file).isFile()) bytes += statSync(file).size;
  }
  return bytes;
}

/** Writes about `mb` megabytes in transactions of ~4 MB (rows of 960 random hex digits: nothing compresses). */
async function write(db: PGlite, mb: number, afterEach: () => Promise<void>): Promise<number> {
  const [{ start }] = (await db.query<{ start: string }>('select pg_current_wal_insert_lsn()::text as start'))
    .rows as [{ start: string }];
  for (let done = 0; done < mb; done += 4) {
    await db.transaction(async (tx) => {
      await tx.query(
        `insert into filler (body) select (select string_agg(md5(random()::text || g || n), '') from generate_series(1, 30) n)
         from generate_series(1, 4096) g`,
      );
    });
    await afterEach();
  }
  const [{ bytes }] = (
    await db.query<{ bytes: number }>(
      'select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::float8 as bytes',
      [start],
    )
  ).rows as [{ bytes: number }];
  return bytes;
}

/** Writes `mb` megabytes into a fresh PGlite, checkpointed at `boundMb` (0: never); the log written and on disk. */
async function logAfterWriting(boundMb: number, mb: number): Promise<{ written: number; onDisk: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'callpermit-wal-'));
  dirs.push(dataDir);
  const db = await PGlite.create(dataDir);
  try {
    await db.query('create table filler (id serial primary key, body text not null)');
    const checkpointer = walCheckpointer(db, boundMb, 0);
    const written = await write(db, mb, async () => {
      checkpointer.afterWrite();
      await checkpointer.settled();
    });
    return { written, onDisk: logOnDisk(dataDir) };
  } finally {
    await db.close();
  }
}

describe('PGlite checkpoints (the write-ahead log stays bounded)', () => {
  it('keeps the log on disk within a few times the bound however much is written, where none grows with every write', async () => {
    const bounded = await logAfterWriting(16, 120);
    const unbounded = await logAfterWriting(0, 120);
    // Both wrote as much log; only the checkpointed one let PostgreSQL recycle its old segments.
    expect(bounded.written).toBeGreaterThan(120 * MB);
    expect(unbounded.onDisk).toBeGreaterThan(120 * MB);
    expect(bounded.onDisk).toBeLessThanOrEqual(4 * 16 * MB);
  }, 120_000);
});
