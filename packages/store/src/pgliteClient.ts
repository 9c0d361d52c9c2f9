import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { KeyedMutex } from '@callpermit/core';
import type { PGlite } from '@electric-sql/pglite';
import { pgliteParsers } from './codec.js';
import { DEFAULT_DISK_RESERVE_MB, diskReserve } from './diskReserve.js';
import { pgliteMaintenance } from './pgliteMaintenance.js';
import { preparedStatements } from './pglitePrepared.js';
import { type SqlClient, transactionScope } from './sqlClient.js';
import { classified, unavailableOf } from './unavailable.js';

/**
 * The embedded driver: PostgreSQL compiled to WASM, one connection, its data in a directory (or `memory://`).
 * PGlite itself does not stop a second process from opening the same directory, which would corrupt it, so a
 * lock file beside the directory does.
 */
export async function openPglite(
  dataDir: string,
  diskReserveMb: number = DEFAULT_DISK_RESERVE_MB,
  cacheMb?: number,
  checkpointMb?: number,
): Promise<SqlClient> {
  const startParams = cacheMb === undefined ? undefined : cacheParams(cacheMb);
  const inMemory = dataDir.startsWith('memory://');
  const release = inMemory ? () => {} : lockDataDir(dataDir);
  let db: PGlite;
  try {
    // Loaded on demand: a PostgreSQL-only process never pays for the WASM module.
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create(dataDir, {
      parsers: pgliteParsers,
      ...(startParams === undefined ? {} : { startParams: [...PGlite.defaultStartParams, ...startParams] }),
    });
  } catch (error) {
    release();
    // The WASM file system's errors carry an errno and no message.
    const why = unavailableOf(error)?.message ?? (error as Error).message ?? String(error);
    throw new Error(`cannot open the embedded database at ${dataDir}: ${why}`, { cause: error });
  }
  // A full disk (53100, or ENOSPC from the file system) is the store's unavailability, not the query's fault;
  // the reserve refuses writes before the disk is full enough to hang PGlite (diskReserve.ts).
  const reserve = inMemory ? () => {} : diskReserve(path.resolve(dataDir), diskReserveMb);
  const guarded = async (
    query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }>,
    sql: string,
    params?: readonly unknown[],
  ) => {
    try {
      reserve(sql);
      return (await query(sql, params as unknown[] | undefined)).rows as Record<string, unknown>[];
    } catch (error) {
      throw classified(error);
    }
  };
  const run = (sql: string, params?: readonly unknown[]) => guarded((q, p) => db.query(q, p), sql, params);
  // A bulk load writes too: the same reserve and the same classification.
  const copy = async (on: Pick<PGlite, 'query'>, target: string, data: readonly Uint8Array[]) => {
    try {
      reserve(`copy ${target}`);
      return await copyInto(on, target, data);
    } catch (error) {
      throw classified(error);
    }
  };
  const prepared = preparedStatements(db);
  // A checkpoint or a vacuum writes too: through `run`, not on a disk below the reserve (the next look asks again).
  const maintenance = pgliteMaintenance(run, checkpointMb === undefined ? {} : { checkpointMb });
  const used = <T>(done: Promise<T>): Promise<T> => done.finally(() => maintenance.afterUse());
  // One process per directory (the lock file): a mutex in this process excludes everyone.
  const locks = new KeyedMutex();
  const exclusive = <T>(key: string, fn: () => Promise<T>) => locks.run(key, fn);
  return {
    driver: 'pglite',
    query: (sql, params) => used(run(sql, params)) as never,
    copyFrom: (target, data) => used(copy(db, target, data)),
    exclusive,
    transaction: (fn) =>
      used(
        db.transaction((tx) =>
          fn(
            transactionScope(
              'pglite',
              {
                query: (sql, params) =>
                  guarded((q, p) => prepared(tx, q, p), sql, params).finally(turnOfTheLoop),
                copyFrom: (target, data) => copy(tx, target, data),
              },
              0,
              exclusive,
            ),
          ),
        ),
      ).catch((error: unknown) => {
        throw classified(error);
      }),
    async close() {
      try {
        await maintenance.settled();
        await db.close();
      } finally {
        release();
      }
    },
  };
}

/**
 * PGlite runs in this thread, and a statement's promise resolves without the event loop taking a turn: a whole
 * transaction would hold the loop, so requests arriving meanwhile would be read only after it, and group commit
 * (the service's `LineRecorder`) would see them one transaction late, in small groups. Between a transaction's
 * statements the loop takes a turn (which costs microseconds when nothing waits). Measured on
 * `http.webhook.pglite`: groups of 6–7 bodies of the bench's 10 connections became groups of 10.
 */
function turnOfTheLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The buffer cache PGlite may be given, in megabytes: PostgreSQL's least, and what fits its 32-bit WASM memory. */
export const PGLITE_CACHE_MB = { min: 16, max: 2048 } as const;

/** Whether PGlite can be given a buffer cache of `cacheMb` megabytes (`PGLITE_CACHE_MB`, whole megabytes). */
export function isPgliteCacheMb(cacheMb: number): boolean {
  return Number.isInteger(cacheMb) && cacheMb >= PGLITE_CACHE_MB.min && cacheMb <= PGLITE_CACHE_MB.max;
}

/** PGlite's start parameters for a buffer cache of `cacheMb` megabytes (`shared_buffers`). */
function cacheParams(cacheMb: number): string[] {
  if (!isPgliteCacheMb(cacheMb))
    throw new Error(
      `the embedded database's cache must be whole megabytes from ${PGLITE_CACHE_MB.min} to ${PGLITE_CACHE_MB.max}, got ${cacheMb}`,
    );
  return ['-c', `shared_buffers=${cacheMb}MB`];
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
