import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { pgliteMaintenance, type RunStatement } from './pgliteMaintenance.js';

const MB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The database's statements as the store's client runs them. */
function statementsOf(db: PGlite): RunStatement {
  return async (sql) => (await db.query<Record<string, unknown>>(sql)).rows;
}

/** Bytes of write-ahead log on disk. */
function logOnDisk(dataDir: string): number {
  const wal = path.join(dataDir, 'pg_wal');
  let bytes = 0;
  for (const name of readdirSync(wal)) {
    const file = statSync(path.join(wal, name));
    if (file.isFile()) bytes += file.size;
  }
  return bytes;
}

/** Writes about `mb` megabytes in transactions of ~4 MB (rows of 960 random hex digits: nothing compresses). */
async function write(db: PGlite, mb: number, afterEachWrite: () => Promise<void>): Promise<number> {
  const [{ start }] = (await db.query<{ start: string }>('select pg_current_wal_insert_lsn()::text as start'))
    .rows as [{ start: string }];
  for (let done = 0; done < mb; done += 4) {
    await db.transaction(async (tx) => {
      await tx.query(
        `insert into filler (body) select (select string_agg(md5(random()::text || g || n), '') from generate_series(1, 30) n)
         from generate_series(1, 4096) g`,
      );
    });
    await afterEachWrite();
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
    const maintenance = pgliteMaintenance(statementsOf(db), {
      checkpointMb: boundMb,
      freezeAge: 0,
      everyMs: 0,
    });
    const written = await write(db, mb, async () => {
      maintenance.afterUse();
      await maintenance.settled();
    });
    return { written, onDisk: logOnDisk(dataDir) };
  } finally {
    await db.close();
  }
}

describe('PGlite maintenance: checkpoints (the write-ahead log stays bounded)', () => {
  it('keeps the log on disk within a few times the bound however much is written, where none grows with every write', async () => {
    const bounded = await logAfterWriting(16, 120);
    const unbounded = await logAfterWriting(0, 120);
    // Both wrote as much log; only the checkpointed one let PostgreSQL recycle its old segments.
    expect(bounded.written).toBeGreaterThan(120 * MB);
    expect(unbounded.onDisk).toBeGreaterThan(120 * MB);
    expect(bounded.onDisk).toBeLessThanOrEqual(4 * 16 * MB);
  }, 120_000);
});

/** The age, in transactions, of the oldest transaction id a row of the database may still hold unfrozen. */
async function xidAge(db: PGlite): Promise<number> {
  const { rows } = await db.query<{ age: number }>(
    'select age(datfrozenxid)::int as age from pg_database where datname = current_database()',
  );
  return (rows[0] as { age: number }).age;
}

describe('PGlite maintenance: freezing (transaction ids never run out)', () => {
  it('freezes once the oldest unfrozen transaction reaches the age given; without it the age only grows', async () => {
    const ages: number[] = [];
    for (const freezeAge of [1_000, 0]) {
      const db = await PGlite.create('memory://');
      try {
        await db.query('create table counter (id serial primary key, at int not null)');
        const maintenance = pgliteMaintenance(statementsOf(db), { checkpointMb: 0, freezeAge, everyMs: 0 });
        // Each write is a transaction of its own: 1,500 transaction ids.
        for (let i = 0; i < 1_500; i++) {
          await db.query('insert into counter (at) values ($1)', [i]);
          maintenance.afterUse();
          await maintenance.settled();
        }
        ages.push(await xidAge(db));
        expect((await db.query('select count(*)::int as n from counter')).rows).toEqual([{ n: 1_500 }]);
      } finally {
        await db.close();
      }
    }
    const [frozen, never] = ages as [number, number];
    expect(never).toBeGreaterThanOrEqual(1_500);
    expect(frozen).toBeLessThan(1_000);
  }, 120_000);
});
