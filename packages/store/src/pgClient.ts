import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KeyedMutex } from '@callpermit/core';
import pg from 'pg';
import { from as copyStream } from 'pg-copy-streams';
import { pgTypesWith } from './codec.js';
import { type SqlClient, transactionScope } from './sqlClient.js';
import { statementNames } from './statementNames.js';
import { classified } from './unavailable.js';

/**
 * COPY … FROM STDIN on one connection, through pg-copy-streams: the chunks are streamed as they are. `pg` refuses
 * a custom query such as COPY in pipeline mode, so the connection leaves it for the load; the caller has let
 * every statement sent before it be answered.
 */
async function copyOn(client: pg.PoolClient, target: string, data: readonly Uint8Array[]): Promise<number> {
  const modes = client as unknown as { pipeline: boolean };
  const pipelined = modes.pipeline;
  modes.pipeline = false;
  try {
    const stream = client.query(copyStream(`copy ${target} from stdin (format binary)`));
    await pipeline(Readable.from(data, { objectMode: false }), stream);
    return stream.rowCount;
  } finally {
    modes.pipeline = pipelined;
  }
}

/** Names a statement for `pg` to prepare once per connection (`preparedQuery`, `statementNames`). */
type NameOf = ReturnType<typeof statementNames>;

/**
 * `sql` as `pg` runs it: a statement with parameters as a named prepared statement, which `pg` parses once per
 * connection and then only binds and executes; PostgreSQL keeps its plan once a generic plan is as good as a
 * custom one. Parsing and planning were half of PostgreSQL's time in a webhook's group commit (a CTE over JSON
 * parameters: docs/performance.md, session 8). A statement `nameOf` gives no name (one without parameters,
 * or past the bound) is sent as it is.
 */
function preparedQuery(
  client: pg.Pool | pg.PoolClient,
  nameOf: NameOf,
  sql: string,
  params?: readonly unknown[],
): Promise<pg.QueryResult> {
  const name = nameOf(sql, params);
  if (name === undefined) return client.query(sql, params as unknown[] | undefined);
  return client.query({ name, text: sql, values: params as unknown[] });
}

/**
 * Sends a statement on `client` as soon as it is given (the connection is in pipeline mode): statements given
 * in one turn of the event loop leave in one write, and the server answers them in the order sent. `settled`
 * is then every statement sent so far, answered.
 */
function pipelinedStatements(
  client: pg.PoolClient,
  nameOf: NameOf,
): {
  query(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult>;
  settled(): Promise<void>;
} {
  let last: Promise<unknown> = Promise.resolve();
  let corked = false;
  const socket = (client as unknown as { connection: { stream: NodeJS.WritableStream & Partial<Cork> } })
    .connection.stream;
  return {
    query(sql, params) {
      // One write for the statements of this turn, not one each: each write wakes the server.
      if (!corked && socket.cork && socket.uncork) {
        corked = true;
        socket.cork();
        process.nextTick(() => {
          corked = false;
          socket.uncork?.();
        });
      }
      const result = preparedQuery(client, nameOf, sql, params);
      last = result.catch(() => {});
      return result;
    },
    settled: async () => {
      await last;
    },
  };
}

interface Cork {
  cork(): void;
  uncork(): void;
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

/** How long a connection (a new one, or a free one from the pool) may take before the store is unavailable. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long one statement may wait for its answer before the store is unavailable (0: no limit). */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** The bounds on waiting for the server: a server that stopped answering fails requests, never hangs them. */
export interface PostgresTimeouts {
  /** Milliseconds to get a connection: a new one, or a free one of the pool. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Milliseconds for one statement's answer; 0 for none. Default 30 s; a pair's lock is waited for twice that. */
  readonly queryTimeoutMs?: number;
}

/** `pg` pool settings for `timeouts`: both pools use them; TCP keep-alive notices a peer that vanished. */
function poolSettings(databaseUrl: string, timeouts: PostgresTimeouts): pg.PoolConfig {
  const query = timeouts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  return {
    connectionString: databaseUrl,
    connectionTimeoutMillis: timeouts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    ...(query > 0 ? { query_timeout: query } : {}),
  };
}

/**
 * `exclusive` on PostgreSQL: callers of this process queue per key in memory, and the one whose turn it is
 * holds a session-level advisory lock on a connection of a small pool of its own, so other processes wait too.
 * The pool is separate from the queries' pool: holders waiting on something slow (an upstream call) never
 * starve the queries they make, and a process that dies closes its connections and so releases its locks.
 * A hash collision between two keys only makes them wait for each other.
 */
function advisoryLocks(
  databaseUrl: string,
  timeouts: PostgresTimeouts,
): {
  exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  close(): Promise<void>;
} {
  const queue = new KeyedMutex();
  const lockWaitMs = 2 * (timeouts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS);
  let pool: pg.Pool | undefined;
  return {
    exclusive: (key, fn) =>
      queue.run(key, async () => {
        if (pool === undefined) {
          pool = new pg.Pool({ ...poolSettings(databaseUrl, timeouts), max: EXCLUSIVE_CONNECTIONS });
          // As for the queries' pool: a dropped idle connection is discarded, not an unhandled error.
          pool.on('error', () => {});
        }
        const connection = await checkOut(pool);
        let broken: Error | undefined;
        try {
          // Another holder may be waiting on Meta: the lock may take twice the query timeout to come.
          await connection.client
            .query({
              text: 'select pg_advisory_lock($1, hashtext($2))',
              values: [EXCLUSIVE_LOCK_SPACE, key],
              ...(lockWaitMs > 0 ? { query_timeout: lockWaitMs } : {}),
            } as pg.QueryConfig)
            .catch((error: unknown) => {
              broken = error as Error;
              throw classified(error);
            });
          try {
            return await fn();
          } finally {
            try {
              await connection.client.query('select pg_advisory_unlock($1, hashtext($2))', [
                EXCLUSIVE_LOCK_SPACE,
                key,
              ]);
            } catch (error) {
              // Closing the session releases the lock.
              broken = error as Error;
            }
          }
        } finally {
          connection.giveBack(broken);
        }
      }),
    close: async () => {
      await pool?.end();
    },
  };
}

/** A connection taken from a pool, and how to give it back. */
interface CheckedOut {
  readonly client: pg.PoolClient;
  /** Returns it to the pool, or destroys it when it failed (`broken`) or its session ended meanwhile. */
  giveBack(broken?: Error): void;
}

/**
 * Takes a connection for a unit of work (a transaction, a held lock). The pool listens for errors on idle
 * connections only: a session that ends while its connection is taken (the server shut down, an administrator
 * terminated it) between two statements would emit an 'error' nobody handles, which ends the process. Listened
 * to here, it only marks the connection broken: the next statement fails as StoreUnavailable, and the connection
 * is destroyed when given back.
 */
async function checkOut(pool: pg.Pool): Promise<CheckedOut> {
  const client = await pool.connect().catch((error: unknown) => {
    throw classified(error);
  });
  let ended: Error | undefined;
  const onError = (error: Error) => {
    ended = error;
  };
  client.on('error', onError);
  return {
    client,
    giveBack(broken) {
      client.off('error', onError);
      client.release(broken ?? ended);
    },
  };
}

/**
 * The server driver: a `pg` Pool; a transaction holds one pooled connection from BEGIN to COMMIT. A server that
 * cannot be reached, refuses writes or has a full disk fails the call with `StoreUnavailable` (unavailable.ts).
 */
export async function openPostgres(databaseUrl: string, timeouts: PostgresTimeouts = {}): Promise<SqlClient> {
  const pool = new pg.Pool({
    ...poolSettings(databaseUrl, timeouts),
    // A transaction's statements are sent without waiting for the answer to the one before (`transaction`).
    pipeline: true,
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
  const locks = advisoryLocks(databaseUrl, timeouts);
  // The same name for a text on every connection of the pool; `pg` prepares it on each the first time.
  const nameOf = statementNames();
  return {
    driver: 'postgres',
    query: async (sql, params) => {
      try {
        return (await preparedQuery(pool, nameOf, sql, params)).rows;
      } catch (error) {
        throw classified(error);
      }
    },
    exclusive: locks.exclusive,
    async copyFrom(target, data) {
      const connection = await checkOut(pool);
      let broken: Error | undefined;
      try {
        return await copyOn(connection.client, target, data);
      } catch (error) {
        broken = error as Error;
        throw classified(error);
      } finally {
        connection.giveBack(broken);
      }
    },
    async transaction(fn) {
      const connection = await checkOut(pool);
      const client = connection.client;
      const statements = pipelinedStatements(client, nameOf);
      let broken: Error | undefined;
      try {
        // Sent with the unit's first statements, not a round trip of its own; awaited before the commit. (A
        // BEGIN that fails leaves a connection that fails what follows it too.)
        const begun = statements.query('begin');
        begun.catch(() => {});
        const result = await fn(
          transactionScope(
            'postgres',
            {
              pipelined: true,
              query: async (sql, params) => {
                try {
                  return (await statements.query(sql, params)).rows;
                } catch (error) {
                  throw classified(error);
                }
              },
              copyFrom: async (target, data) => {
                try {
                  await statements.settled();
                  return await copyOn(client, target, data);
                } catch (error) {
                  throw classified(error);
                }
              },
            },
            0,
            locks.exclusive,
          ),
        );
        await begun;
        await statements.settled();
        // A COMMIT of a transaction a failed statement aborted rolls it back without an error: a unit whose
        // callback did not pass the failure on must not look committed.
        const done = await client.query('commit');
        if (done.command !== 'COMMIT')
          throw new Error('the transaction was rolled back: a statement in it failed');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw classified(error);
      } finally {
        // A connection that could not roll back is destroyed rather than reused.
        connection.giveBack(broken);
      }
    },
    close: async () => {
      await locks.close();
      await pool.end();
    },
  };
}
