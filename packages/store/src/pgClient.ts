import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
  return {
    driver: 'postgres',
    query: async (sql, params) => (await pool.query(sql, params as unknown[] | undefined)).rows,
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
          transactionScope('postgres', {
            query: async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows,
            copyFrom: (target, data) => copyOn(client, target, data),
          }),
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
    close: () => pool.end(),
  };
}
