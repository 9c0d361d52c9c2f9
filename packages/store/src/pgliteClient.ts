import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { KeyedMutex } from '@callpermit/core';
import type { PGlite } from '@electric-sql/pglite';
import { pgliteParsers } from './codec.js';
import { type SqlClient, transactionScope } from './sqlClient.js';

/**
 * The embedded driver: PostgreSQL compiled to WASM, one connection, its data in a directory (or `memory://`).
 * PGlite itself does not stop a second process from opening the same directory, which would corrupt it, so a
 * lock file beside the directory does.
 */
export async function openPglite(dataDir: string): Promise<SqlClient> {
  const inMemory = dataDir.startsWith('memory://');
  const release = inMemory ? () => {} : lockDataDir(dataDir);
  let db: PGlite;
  try {
    // Loaded on demand: a PostgreSQL-only process never pays for the WASM module.
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create(dataDir, { parsers: pgliteParsers });
  } catch (error) {
    release();
    throw new Error(`cannot open the embedded database at ${dataDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const run = async (sql: string, params?: readonly unknown[]) =>
    (await db.query(sql, params as unknown[] | undefined)).rows as Record<string, unknown>[];
  // One process per directory (the lock file): a mutex in this process excludes everyone.
  const locks = new KeyedMutex();
  const exclusive = <T>(key: string, fn: () => Promise<T>) => locks.run(key, fn);
  return {
    driver: 'pglite',
    query: (sql, params) => run(sql, params) as never,
    copyFrom: (target, data) => copyInto(db, target, data),
    exclusive,
    transaction: (fn) =>
      db.transaction((tx) =>
        fn(
          transactionScope(
            'pglite',
            {
              query: async (sql, params) =>
                (await tx.query(sql, params as unknown[] | undefined)).rows as Record<string, unknown>[],
              copyFrom: (target, data) => copyInto(tx, target, data),
            },
            0,
            exclusive,
          ),
        ),
      ),
    async close() {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}

/** PGlite's COPY reads the data from its `/dev/blob` device, which serves the Blob given with the query. */
async function copyInto(
  db: Pick<PGlite, 'query'>,
  target: string,
  data: readonly Uint8Array[],
): Promise<number> {
  const result = await db.query(`copy ${target} from '/dev/blob' (format binary)`, [], {
    blob: new Blob(data as Uint8Array<ArrayBuffer>[]),
  });
  return result.affectedRows ?? 0;
}

/** Takes `<dataDir>.lock` (our pid) or says which live process holds it; a dead holder's lock is taken over. */
function lockDataDir(dataDir: string): () => void {
  const dir = path.resolve(dataDir);
  mkdirSync(path.dirname(dir), { recursive: true });
  const lockFile = `${dir}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `the embedded database at ${dir} is in use by process ${holder}; stop it, or use PostgreSQL ` +
            '(CALLPERMIT_DATABASE_URL) for several processes',
        );
      }
      if (holder === process.pid) {
        throw new Error(`the embedded database at ${dir} is open already in this process`);
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`cannot lock the embedded database at ${dir} (${lockFile})`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
