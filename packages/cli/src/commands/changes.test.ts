import { join } from 'node:path';
import type { PairChange } from '@callpermit/core';
import { T0 } from '@callpermit/testing';
import { spawnCli } from '@callpermit/testing/serve';
import { describe, expect, it } from 'vitest';
import { captureFile, cli, tempDir } from '../test/harness.js';
import { BUSINESS, requested, syntheticHistory, USER } from '../test/wire.js';

const WEEK = 604_800;
const DAY = 86_400;

async function changes(args: string[]): Promise<PairChange[]> {
  const run = await cli(['changes', ...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout === ''
    ? []
    : run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as PairChange);
}

/** A free-form request in the window, delivered and granted for a week at T0+100. */
const granted = requested({
  response: 'accept',
  context: 'wamid.REQ1',
  permanent: false,
  expiration: T0 + 100 + WEEK,
  source: 'user_action',
});

describe('callpermit changes --from: the changes of a history', () => {
  const file = captureFile(granted);
  const pair = ['--business', BUSINESS, '--user', USER];

  it('lists what the facts changed and, after the last fact, what time alone changes', async () => {
    const list = await changes(['--from', file, ...pair]);
    expect(list.map((c) => [c.at - T0, c.kind, c.cause.kind])).toEqual([
      [0, 'customer_service_window.opened', 'fact'],
      [10, 'request.sent', 'fact'],
      [10, 'request_limit.reached', 'fact'],
      [12, 'request.delivered', 'fact'],
      [100, 'request.accepted', 'fact'],
      [100, 'permission.granted', 'fact'],
      [DAY, 'customer_service_window.closed', 'time'],
      [DAY + 10, 'request_limit.released', 'time'],
      [100 + WEEK, 'request.expired', 'time'],
      [100 + WEEK, 'permission.expired', 'time'],
    ]);
    const grant = list.find((c) => c.kind === 'permission.granted');
    expect(grant?.data).toMatchObject({ status: 'temporary', expires_at: T0 + 100 + WEEK, via: 'request' });
    expect(grant?.cause).toEqual({ kind: 'fact', type: 'PermissionGranted', key: expect.any(String) });
    expect(new Set(list.map((c) => c.id)).size).toBe(list.length);
  });

  it('--since and --until bound the list to (since, until]', async () => {
    const all = await changes(['--from', file, ...pair]);
    const some = await changes([
      '--from',
      file,
      ...pair,
      '--since',
      String(T0 + 10),
      '--until',
      String(T0 + DAY),
    ]);
    expect(some).toEqual(all.filter((c) => c.at > T0 + 10 && c.at <= T0 + DAY));
    expect(some.map((c) => c.kind)).toEqual([
      'request.delivered',
      'request.accepted',
      'permission.granted',
      'customer_service_window.closed',
    ]);
    // ISO-8601 works as well as Unix seconds.
    const iso = new Date((T0 + DAY) * 1000).toISOString();
    expect(await changes(['--from', file, ...pair, '--since', String(T0 + 10), '--until', iso])).toEqual(
      some,
    );
  });

  it('the same lines in another order give the same changes with the same ids', async () => {
    const shuffled = captureFile([...granted].reverse());
    expect(await changes(['--from', shuffled, ...pair])).toEqual(await changes(['--from', file, ...pair]));
  });

  it('prints a readable table by default', async () => {
    const run = await cli(['changes', '--from', file, ...pair]);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.split('\n');
    expect(rows[0]).toMatch(/^at\s+business\s+user\s+kind\s+subject\s+detail\s+cause$/);
    expect(rows).toHaveLength(11);
    const expiry = new Date((T0 + 100 + WEEK) * 1000).toISOString().replace('.000Z', 'Z');
    expect(rows.at(-1)).toMatch(
      new RegExp(`^${expiry}\\s+${BUSINESS}\\s+${USER}\\s+permission\\.expired\\s.*time$`),
    );
    expect(rows.find((r) => r.includes('permission.granted'))).toContain(
      `temporary until ${expiry} via request`,
    );
  });

  it('refuses bad options with one line, never a stack trace', async () => {
    for (const [args, message] of [
      [['--since', 'yesterday'], '--since "yesterday"'],
      [['--since', String(T0 + 10), '--until', String(T0)], '--until must be after --since'],
      [['--business', 'abc'], '--business "abc"'],
    ] as const) {
      const run = await cli(['changes', '--from', file, ...args]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toContain('    at ');
    }
    const both = await cli(['changes', '--from', file, '--db', tempDir('callpermit-none-')]);
    expect(both.stderr).toContain('not both');
  });
});

describe('callpermit changes: a capture and a store give the same list', () => {
  const { lines, users } = syntheticHistory(12, T0);
  const file = captureFile(lines);
  const db = join(tempDir('callpermit-changes-db-'), 'db');

  it('replayed into PGlite and read back, the list is the one --from gives', async () => {
    const replayed = await cli(['replay', file, '--db', db, '--json']);
    expect(replayed.code, replayed.stderr).toBe(0);
    const fromFile = await changes(['--from', file]);
    const fromStore = await changes(['--db', db]);
    // Every pair, each with facts and time-driven changes.
    expect(new Set(fromFile.map((c) => c.user))).toEqual(new Set(users));
    expect(fromFile.some((c) => c.cause.kind === 'time')).toBe(true);
    expect(fromFile.map((c) => c.at)).toEqual([...fromFile.map((c) => c.at)].sort((a, b) => a - b));
    expect(fromStore).toEqual(fromFile);
    // And with every selection.
    const user = users[4] as string;
    for (const args of [
      ['--user', user],
      ['--business', BUSINESS, '--user', user, '--since', String(T0 + 40), '--until', String(T0 + 2 * DAY)],
      ['--business', BUSINESS],
    ]) {
      const a = await changes(['--from', file, ...args]);
      expect(a.length).toBeGreaterThan(0);
      expect(await changes(['--db', db, ...args])).toEqual(a);
    }
    expect(await changes(['--from', file, '--user', user])).toEqual(fromFile.filter((c) => c.user === user));
    expect(await changes(['--db', db, '--business', '100000000000001'])).toEqual([]);
  });
});

describe('callpermit changes into a pipe its reader closes', () => {
  it('ends quietly with exit 0 when the reader goes (`… | head`), rather than dying on EPIPE with a stack trace', async () => {
    // Enough pairs that the list outgrows the pipe's buffer long after the reader has gone.
    const file = captureFile(syntheticHistory(3_000, T0).lines);
    const { child, done } = spawnCli(['changes', '--from', file, '--json']);
    child.stdout?.once('data', () => child.stdout?.destroy());
    const finished = await done;
    expect(finished.stderr).toBe('');
    expect(finished.signal).toBeNull();
    expect(finished.code).toBe(0);
  }, 60_000);
});
