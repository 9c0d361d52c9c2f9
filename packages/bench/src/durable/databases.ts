import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StoreOptions } from '@callpermit/store';
import { withPostgres } from './postgres.js';

export type Driver = 'pglite' | 'postgres';

/** Where a durable benchmark writes: new, empty databases of one driver, deleted when the benchmark ends. */
export interface FreshDatabases {
  /** 'PGlite' or 'PostgreSQL', for messages. */
  readonly label: string;
  /** A new empty database (a PGlite directory, or a database on the throwaway server), as openStore's options. */
  create(name: string): Promise<StoreOptions>;
}

/** Runs `fn` in a temporary directory that is deleted afterwards, however `fn` ends. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the file system's dirty pages out (`sync`) and waits: a timed run that follows another should not pay
 * for the writes the other left in memory (a 1M-line replay leaves gigabytes).
 */
export async function flushDiskWrites(): Promise<void> {
  await promisify(execFile)('sync');
}

/**
 * Fresh databases for `fn`: PGlite directories in a temporary directory, or databases on a PostgreSQL
 * server of our own (.ci/pg.sh). Everything is deleted when `fn` ends; `fn` closes what it opens.
 */
export function withFreshDatabases<T>(
  driver: Driver,
  log: (message: string) => void,
  fn: (databases: FreshDatabases) => Promise<T>,
): Promise<T> {
  if (driver === 'pglite')
    return withTempDir('callpermit-bench-', (dir) =>
      fn({ label: 'PGlite', create: async (name) => ({ dataDir: join(dir, name) }) }),
    );
  return withPostgres(log, (server) =>
    fn({ label: 'PostgreSQL', create: async (name) => ({ databaseUrl: await server.newDatabase(name) }) }),
  );
}

/** Throws once `limitSeconds` have passed since it was made: keeps a benchmark bounded in time. */
export function deadline(what: string, limitSeconds: number): () => void {
  const end = performance.now() + limitSeconds * 1000;
  return () => {
    if (performance.now() > end) throw new Error(`${what} took over ${limitSeconds} s; stopped`);
  };
}
