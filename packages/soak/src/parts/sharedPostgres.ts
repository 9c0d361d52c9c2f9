// The PostgreSQL server `pnpm -s soak` shares between its scenarios (the test suite has its own, from the
// store's global set-up): a throwaway server on loopback, one database per scenario run, stopped at the end.
import { randomBytes } from 'node:crypto';
import { startThrowawayPostgres } from '@callpermit/store';
import pg from 'pg';

export interface PostgresServer {
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export async function sharedPostgres(log: (message: string) => void): Promise<PostgresServer> {
  const server = await startThrowawayPostgres(log);
  return {
    async newDatabase() {
      const name = `soak_${randomBytes(5).toString('hex')}`;
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop: () => server.stop(),
  };
}
