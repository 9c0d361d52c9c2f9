// The store when its database fails: unreachable (connections cut, refused, or a server that stopped answering),
// read-only, or out of disk. Each is one error type, StoreUnavailable, with its reason; nothing of the failed
// unit of work is kept; and the same store works again once the database does.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithPostgres } from '@callpermit/testing';
import { mountSmallDisk } from '@callpermit/testing/disk';
import { startTcpProxy } from '@callpermit/testing/proxy';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore, type SqlStore, StoreUnavailable, storeOptionsFromEnv, unavailableOf } from './index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const item = (body: string) => ({ body, source: { file: 'unavailable.test' }, outcome: 'ignored' as const });

async function admin(url: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

async function failure(promise: Promise<unknown>): Promise<StoreUnavailable> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreUnavailable);
  return error as StoreUnavailable;
}

describe('unavailableOf', () => {
  it('classifies the drivers’ errors by SQLSTATE, socket code and pg’s own words; nothing else', () => {
    const of = (e: object) => unavailableOf(Object.assign(new Error('x'), e))?.reason;
    expect(of({ code: '08006' })).toBe('unreachable');
    expect(of({ code: '57P01' })).toBe('unreachable');
    expect(of({ code: '57P03' })).toBe('unreachable');
    expect(of({ code: 'ECONNREFUSED' })).toBe('unreachable');
    expect(of({ code: 'ECONNRESET' })).toBe('unreachable');
    expect(unavailableOf(new Error('timeout exceeded when trying to connect'))?.reason).toBe('unreachable');
    expect(unavailableOf(new Error('Connection terminated unexpectedly'))?.reason).toBe('unreachable');
    expect(unavailableOf(new Error('Query read timeout'))?.reason).toBe('unreachable');
    expect(of({ code: '25006' })).toBe('read-only');
    expect(of({ code: '53100' })).toBe('disk-full');
    expect(of({ code: 'ENOSPC' })).toBe('disk-full');
    expect(of({ name: 'ErrnoError', errno: 51, message: undefined })).toBe('disk-full');
    // Input errors and conflicts stay what they are: the engine and the adapters handle them.
    expect(of({ code: '23505' })).toBeUndefined();
    expect(of({ code: '22P05' })).toBeUndefined();
    expect(unavailableOf(new Error('syntax error at or near "x"'))).toBeUndefined();
    expect(unavailableOf('ECONNREFUSED')).toBeUndefined();
  });

  it('reads the PostgreSQL timeouts from the environment, refusing what is not whole milliseconds', () => {
    const env = { CALLPERMIT_DB_CONNECT_TIMEOUT_MS: '2500', CALLPERMIT_DB_QUERY_TIMEOUT_MS: '0' };
    expect(storeOptionsFromEnv({}, env)).toEqual({ connectTimeoutMs: 2500, queryTimeoutMs: 0 });
    expect(storeOptionsFromEnv({ queryTimeoutMs: 10 }, env)).toEqual({
      queryTimeoutMs: 10,
      connectTimeoutMs: 2500,
    });
    expect(() => storeOptionsFromEnv({}, { CALLPERMIT_DB_QUERY_TIMEOUT_MS: '2s' })).toThrow(
      'CALLPERMIT_DB_QUERY_TIMEOUT_MS: expected whole milliseconds (0 for no limit), got 2s',
    );
  });
});

describeWithPostgres('PostgreSQL out of reach', (newDatabase) => {
  it('connections cut and refused: StoreUnavailable at once, nothing half-written, and it recovers by itself', async () => {
    const url = await newDatabase();
    await (await openStore({ databaseUrl: url })).close();
    const proxy = await startTcpProxy(url);
    const store = await openStore({ databaseUrl: proxy.url });
    try {
      await store.inbox.record([item('before')]);
      await proxy.down();
      const started = performance.now();
      expect((await failure(store.inbox.counts())).reason).toBe('unreachable');
      const write = await failure(
        store.atomically(async (_facts, inbox) => {
          await inbox.record([item('while down')]);
        }),
      );
      expect(write.reason).toBe('unreachable');
      expect(write.message).toMatch(/^the database cannot be reached: /);
      expect(performance.now() - started).toBeLessThan(5000);
      await expect(store.exclusive('pair', async () => 'held')).rejects.toBeInstanceOf(StoreUnavailable);

      await proxy.up();
      // The pool opens new connections: the same store object works again.
      expect((await store.inbox.counts()).ignored).toBe(1);
      await store.inbox.record([item('after')]);
      expect(await store.exclusive('pair', async () => 'held')).toBe('held');
      const bodies: string[] = [];
      for await (const entry of store.inbox.iterate()) bodies.push(entry.body);
      expect(bodies).toEqual(['before', 'after']);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('a server that stops answering fails each call within the timeouts, never hangs it', async () => {
    const url = await newDatabase();
    await (await openStore({ databaseUrl: url })).close();
    const proxy = await startTcpProxy(url);
    const store = await openStore({ databaseUrl: proxy.url, connectTimeoutMs: 400, queryTimeoutMs: 600 });
    try {
      await store.inbox.counts();
      proxy.hang();
      for (const call of [
        () => store.inbox.counts(),
        () => store.inbox.record([item('hung')]),
        () => store.knownKeys(['k']),
      ]) {
        const started = performance.now();
        expect((await failure(call())).reason).toBe('unreachable');
        expect(performance.now() - started).toBeLessThan(3000);
      }
      await proxy.up();
      let counts = await store.inbox.counts().catch(() => undefined);
      for (let i = 0; counts === undefined && i < 20; i++)
        counts = await store.inbox.counts().catch(() => undefined);
      expect(counts?.ignored).toBe(0);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('a session ended between two statements of a transaction, or while a lock is held, is no crash: the unit of work fails as StoreUnavailable and the store carries on', async () => {
    const url = await newDatabase();
    const database = new URL(url).pathname.slice(1);
    const terminate = `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and pid <> pg_backend_pid()`;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const store = await openStore({ databaseUrl: url });
    try {
      const refused = await failure(
        store.atomically(async (_facts, inbox) => {
          await inbox.counts();
          // An administrator (or a shutdown) ends the session while the transaction waits on the application.
          await admin(url, terminate);
          await pause(200);
          await inbox.record([item('in the ended session')]);
        }),
      );
      expect(refused.reason).toBe('unreachable');
      expect(
        await store.exclusive('pair', async () => {
          await admin(url, terminate);
          await pause(200);
          return 'held';
        }),
      ).toBe('held');
      await store.inbox.record([item('after')]);
      expect((await store.inbox.counts()).ignored).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a read-only database: the store opens and reads, a write is StoreUnavailable read-only and leaves nothing; writable again, it writes', async () => {
    const url = await newDatabase();
    const database = new URL(url).pathname.slice(1);
    await (await openStore({ databaseUrl: url })).close();
    await admin(url, `alter database ${database} set default_transaction_read_only = on`);
    let store: SqlStore = await openStore({ databaseUrl: url });
    try {
      const refused = await failure(store.inbox.record([item('refused')]));
      expect(refused.reason).toBe('read-only');
      expect(refused.message).toMatch(/^the database is read-only: .*\(SQLSTATE 25006\)$/);
      expect((await store.inbox.counts()).ignored).toBe(0);
    } finally {
      await store.close();
    }
    // The session that lifts it is read-only too, until it says otherwise.
    await admin(
      url,
      'set default_transaction_read_only = off',
      `alter database ${database} reset default_transaction_read_only`,
    );
    store = await openStore({ databaseUrl: url });
    try {
      await store.inbox.record([item('accepted')]);
      expect((await store.inbox.counts()).ignored).toBe(1);
    } finally {
      await store.close();
    }
  });
});

/** Runs the fillDisk worker (built: dist/test), killed after `ms`: a PGlite that hangs fails the test, never stalls it. */
function fillDisk(args: string[], ms = 90_000): Promise<Record<string, unknown>> {
  const script = fileURLToPath(new URL('../dist/test/fillDisk.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [script, ...args], { timeout: ms }, (error, stdout, stderr) => {
      if (error) reject(new Error(`fillDisk ${args[0]}: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>);
    });
    child.stdin?.end();
  });
}

describe('PGlite on a full disk', () => {
  beforeAll(() => {
    execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-b', 'packages/store'], { cwd: repoRoot });
  }, 120_000);

  it('refuses writes as StoreUnavailable disk-full before PGlite would hang, keeps every stored batch whole, and writes again once space is freed', async (context) => {
    const disk = mountSmallDisk(80);
    // Where this machine cannot mount a file system, the test says so (docs/reliability.md), never fakes it.
    if ('unavailable' in disk) return context.skip(disk.unavailable);
    try {
      const dataDir = join(disk.dir, 'db');
      const filled = await fillDisk(['fill', dataDir, '24']);
      expect(filled.reason).toBe('disk-full');
      expect(filled.message).toMatch(/^the database's disk is full: .* below the 24 MB/);
      // The refused batch left nothing: what the inbox holds is exactly the batches that were acknowledged.
      expect(filled.counted).toBe(filled.stored);
      expect(filled.stored).toBeGreaterThan(0);
      disk.grow(160);
      const checked = await fillDisk(['check', dataDir, '24']);
      expect(checked).toEqual({ before: filled.stored, after: (filled.stored as number) + 1 });
    } finally {
      disk.unmount();
    }
  }, 240_000);
});
