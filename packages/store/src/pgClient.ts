import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeyedMutex } from '@callpermit/core';
import pg from 'pg';
import { from as copyStream } from 'pg-copy-streams';
import { pgTypesWith } from './codec.js';
import { type SqlClient, transactionScope } from './sqlClient.js';

/** COPY … FROM STDIN on one connection, through pg-copy-streams: the chunks are streamed as they are. */
async function copyOn(client: pg.PoolClient, target: string, data: readonly Uint8Array[]): Promise<number> {
  const stream = client.query(copyStream(`copy ${target} from stdin (format binary)`));
  await pipeline(Readable.from(data, { objectMode: false }), stream);
  return stream.rowCount;
}

/** A URL safe to print: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

/**
 * The first key of the two-key advisory locks `exclusive` takes (the second is the hash of the caller's key).
 * Two-key locks never collide with the one-key locks of migrations and commits.
 */
export const EXCLUSIVE_LOCK_SPACE = 721_266_030;
/** Connections of the pool that holds `exclusive` locks: that many keys can be held at once per process. */
export const EXCLUSIVE_CONNECTIONS = 16;

/**
 * `exclusive` on PostgreSQL: callers of this process queue per key in memory, and the one whose turn it is
 * holds a session-level advisory lock on a connection of a small pool of its own, so other processes wait too.
 * The pool is separate from the queries' pool: holders waiting on something slow (an upstream call) never
 * starve the queries they make, and a process that dies closes its connections and so releases its locks.
 * A hash collision between two keys only makes them wait for each other.
 */
function advisoryLocks(databaseUrl: string): {
  exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  close(): Promise<void>;
} {
  const queue = new KeyedMutex();
  let pool: pg.Pool | undefined;
  return {
    exclusive: (key, fn) =>
      queue.run(key, async () => {
        if (pool === undefined) {
          pool = new pg.Pool({ connectionString: databaseUrl, max: EXCLUSIVE_CONNECTIONS });
          // As for the queries' pool: a dropped idle connection is discarded, not an unhandled error.
          pool.on('error', () => {});
        }
        const connection = await pool.connect();
        let broken: Error | undefined;
        try {
          await connection.query('select pg_advisory_lock($1, hashtext($2))', [EXCLUSIVE_LOCK_SPACE, key]);
          try {
            return await fn();
          } finally {
            try {
              await connection.query('select pg_advisory_unlock($1, hashtext($2))', [
                EXCLUSIVE_LOCK_SPACE,
                key,
              ]);
            } catch (error) {
              // Closing the session releases the lock.
              broken = error as Error;
            }
          }
        } finally {
          connection.release(broken);
        }
      }),
    close: async () => {
      await pool?.end();
    },
  };
}

/** The server driver: a `pg` Pool; a transaction holds one pooled connection from BEGIN to COMMIT. */
export async function openPostgres(databaseUrl: string): Promise<SqlClient> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    types: pgTypesWith((oid, format) => pg.types.getTypeParser(oid, format as 'text')),
  });
  // An idle connection dropped by the server would otherwise be an unhandled 'error' event that ends the
  // process; the pool discards it and the next query opens a new one.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end();
    throw new Error(
      `cannot connect to PostgreSQL at ${redactUrl(databaseUrl)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const locks = advisoryLocks(databaseUrl);
  return {
    driver: 'postgres',
    query: async (sql, params) => (await pool.query(sql, params as unknown[] | undefined)).rows,
    exclusive: locks.exclusive,
    async copyFrom(target, data) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await copyOn(client, target, data);
      } catch (error) {
        broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('begin');
        const result = await fn(
          transactionScope(
            'postgres',
            {
              query: async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows,
              copyFrom: (target, data) => copyOn(client, target, data),
            },
            0,
            locks.exclusive,
          ),
        );
        await client.query('commit');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        // A connection that could not roll back is destroyed rather than reused.
        client.release(broken);
      }
    },
    close: async () => {
      await locks.close();
      await pool.end();
    },
  };
}
