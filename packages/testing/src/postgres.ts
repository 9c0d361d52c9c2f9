import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, inject, it } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL server the tests use, or null when none could be started (then `pgError` says why). */
    pgUrl: string | null;
    pgError: string | null;
  }
}

const inCi = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());

/**
 * A describe block that needs PostgreSQL. `body` gets `newDatabase()`, which creates a database of its own
 * on the test server (dropped after the block) and returns its URL. Without a server the block is skipped
 * on a developer's machine and FAILS in CI.
 */
export function describeWithPostgres(name: string, body: (newDatabase: () => Promise<string>) => void): void {
  const serverUrl = inject('pgUrl');
  if (!serverUrl) {
    const why = inject('pgError') ?? 'no server';
    if (inCi) {
      describe(name, () => {
        it('has a PostgreSQL server to run against', () => {
          throw new Error(`PostgreSQL could not be started: ${why}`);
        });
      });
    } else {
      describe.skip(`${name} (no PostgreSQL: ${why.split('\n')[0]})`, () => {
        it('needs PostgreSQL', () => {});
      });
    }
    return;
  }
  describe(name, () => {
    const created: string[] = [];
    afterAll(async () => {
      for (const database of created)
        await admin(serverUrl, `drop database if exists ${database} with (force)`);
    });
    body(async () => {
      const database = `callpermit_test_${randomBytes(6).toString('hex')}`;
      await admin(serverUrl, `create database ${database}`);
      created.push(database);
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      return url.toString();
    });
  });
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
