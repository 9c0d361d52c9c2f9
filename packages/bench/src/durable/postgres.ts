import { openSqlClient, startThrowawayPostgres } from '@callpermit/store';

/** A PostgreSQL server of our own for one benchmark: deleted with its data when stopped. */
export interface BenchPostgres {
  /** The URL of a new, empty database on the server. */
  newDatabase(name: string): Promise<string>;
}

/**
 * Runs `fn` with a fresh PostgreSQL from .ci/pg.sh and stops it afterwards, however `fn` ends; a bench process
 * that is killed takes the server with it.
 */
export async function withPostgres<T>(
  log: (message: string) => void,
  fn: (server: BenchPostgres) => Promise<T>,
): Promise<T> {
  const server = await startThrowawayPostgres(log);
  try {
    return await fn({ newDatabase: (name) => createDatabase(server.url, name) });
  } finally {
    await server.stop();
  }
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = await openSqlClient({ databaseUrl: serverUrl });
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
