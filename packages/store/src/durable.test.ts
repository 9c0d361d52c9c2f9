import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine, pairStreamId } from '@callpermit/core';
import { factsFor, T0, uniquePair } from '@callpermit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultDataDir,
  migrate,
  migrations,
  openSqlClient,
  openStore,
  storeOptionsFromEnv,
} from './index.js';

describe('the embedded store on disk', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'callpermit-durable-'));
  const dataDir = path.join(dir, '.callpermit', 'db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in .callpermit/db under the current directory by default, and keeps what was committed', async () => {
    const pair = uniquePair();
    const f = factsFor(pair);
    const facts = [
      f.requestSent(T0, `${pair.business}.r1`),
      f.granted(T0 + 60, { requestId: `${pair.business}.r1` }),
    ];
    const cwd = process.cwd();
    process.chdir(dir);
    let first: Awaited<ReturnType<typeof openStore>>;
    try {
      expect(defaultDataDir()).toBe(dataDir);
      first = await openStore();
    } finally {
      process.chdir(cwd);
    }
    expect(first.location).toBe(dataDir);
    await first.atomically(async (txFacts, inbox) => {
      await new Engine(txFacts).ingest(facts);
      await inbox.record([
        { body: JSON.stringify(facts), source: { file: 'c.ndjson', line: 1 }, outcome: 'applied' },
      ]);
    });
    const head = (await first.heads([pairStreamId(pair)])).get(pairStreamId(pair));
    await first.close();

    // Reopening migrates nothing twice and finds everything.
    const again = await openStore({ dataDir });
    expect(await again.factsOf(pairStreamId(pair))).toEqual(facts);
    expect((await again.heads([pairStreamId(pair)])).get(pairStreamId(pair))).toEqual(head);
    expect(await again.inbox.counts()).toEqual({
      applied: 1,
      duplicate: 0,
      ignored: 0,
      rejected: 0,
      repeated: 0,
    });
    expect((await new Engine(again).callPermissions(pair, T0 + 100)).permission.status).toBe('temporary');
    await again.close();
  });

  it('applies a new migration step once, and refuses a schema newer than the code', async () => {
    const next = {
      version: migrations.length + 1,
      name: 'a later step',
      statements: ['create table later_step (id integer primary key)'],
    };
    const client = await openSqlClient({ dataDir });
    try {
      expect(await migrate(client)).toBe(migrations.length);
      expect(await migrate(client, [...migrations, next])).toBe(next.version);
      expect(await migrate(client, [...migrations, next])).toBe(next.version);
      expect(await client.query('select count(*)::integer as n from schema_migrations')).toEqual([
        { n: next.version },
      ]);
    } finally {
      await client.close();
    }
    await expect(openStore({ dataDir })).rejects.toThrow(
      `the database schema is at version ${next.version}, newer than this callpermit knows (${migrations.length}): upgrade callpermit`,
    );
  });
});

describe('store options', () => {
  it('takes the PostgreSQL URL from CALLPERMIT_DATABASE_URL unless the options name one', () => {
    const env = { CALLPERMIT_DATABASE_URL: 'postgres://app@db.internal/callpermit' };
    expect(storeOptionsFromEnv({}, env)).toEqual({ databaseUrl: 'postgres://app@db.internal/callpermit' });
    expect(storeOptionsFromEnv({ dataDir: 'x' }, env)).toEqual({
      dataDir: 'x',
      databaseUrl: 'postgres://app@db.internal/callpermit',
    });
    expect(storeOptionsFromEnv({ databaseUrl: 'postgres://other/db' }, env)).toEqual({
      databaseUrl: 'postgres://other/db',
    });
    expect(storeOptionsFromEnv({ dataDir: 'x' }, {})).toEqual({ dataDir: 'x' });
  });

  it('names the server it could not reach, without its password', async () => {
    const error = await openStore({ databaseUrl: 'postgres://app:s3cret@127.0.0.1:1/callpermit' }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^cannot connect to PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/callpermit: .*ECONNREFUSED/,
    );
    expect((error as Error).message).not.toContain('s3cret');
  });
});
