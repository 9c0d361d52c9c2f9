import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '@callpermit/store';
import { T0 } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { replayCacheMb } from '../replayer.js';
import { captureFile, cli, tempDir } from '../test/harness.js';
import { BUSINESS, reply, syntheticHistory, USER } from '../test/wire.js';

/** `replay --json`'s rates are its counts over its elapsed seconds (printed to the millisecond). */
function throughputOf(json: Record<string, number | undefined>): void {
  const seconds = json.elapsed_seconds ?? 0;
  expect(seconds).toBeGreaterThan(0);
  for (const [rate, count] of [
    ['lines_per_second', 'lines'],
    ['facts_per_second', 'facts'],
  ] as const) {
    const n = json[count] ?? 0;
    // The printed seconds are rounded: the rate lies between the count over the longest and the shortest time.
    expect(json[rate]).toBeGreaterThanOrEqual(n / (seconds + 0.0005) - 1);
    expect(json[rate]).toBeLessThanOrEqual(n / Math.max(seconds - 0.0005, 0.0001) + 1);
  }
}
const dbDir = () => join(tempDir('callpermit-db-'), 'db');
const at = String(T0 + 5000);

describe('callpermit replay into the embedded store (PGlite)', () => {
  const { lines, users } = syntheticHistory(40, T0);
  const bad = [
    '{"kind":"webhook","received_at":"2026-01-01T00:00:00Z","payload":{"object":"whatsapp_business_account","entry":[{"changes":"x"}]}}',
    'not json at all',
  ];
  const file = captureFile([...lines.slice(0, 100), ...bad, ...lines.slice(100)]);
  const db = dbDir();
  const cleanDb = dbDir();
  const policies = tempDir('callpermit-policy-');

  it('applies the valid lines, keeps the bad ones in the inbox and a rejects file, and exits 3', async () => {
    const run = await cli(['replay', file, '--db', db, '--json']);
    expect(run.code).toBe(3);
    const counts = run.json() as Record<string, number>;
    expect(counts).toMatchObject({ lines: lines.length + 2, rejected: 2, duplicates: 0 });
    expect((counts.applied ?? 0) + (counts.ignored ?? 0)).toBe(lines.length);
    expect(run.stderr).toContain(`${file}:101: `);
    expect(run.stderr).toContain(`${file}:102: `);
    const rejects = readFileSync(`${file}.rejects.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((r) => [r.line, r.raw])).toEqual([
      [101, bad[0]],
      [102, bad[1]],
    ]);
    expect(rejects.every((r) => typeof r.reason === 'string' && r.reason.length > 0)).toBe(true);
    const store = await openStore({ dataDir: db });
    try {
      expect(await store.inbox.counts()).toMatchObject({
        rejected: 2,
        applied: counts.applied,
        ignored: counts.ignored,
      });
      // The throughput figures: the facts it stored, over the seconds it took.
      expect(counts.facts).toBe((await store.readAll(0, 1_000_000)).length);
      expect(counts.facts).toBeGreaterThanOrEqual(counts.applied ?? 0);
      throughputOf(counts);
    } finally {
      await store.close();
    }
  });

  it('the same file replayed twice adds nothing', async () => {
    const run = await cli(['replay', file, '--db', db, '--json']);
    const { elapsed_seconds, lines_per_second, facts_per_second, ...counts } = run.json() as Record<
      string,
      number
    >;
    expect(counts).toEqual({
      lines: lines.length + 2,
      applied: 0,
      duplicates: lines.length,
      ignored: 0,
      rejected: 2,
      facts: 0,
    });
    expect(facts_per_second).toBe(0);
    throughputOf({ elapsed_seconds, lines_per_second, facts_per_second, ...counts });
  });

  it('state and requests give the same answers from the store as from the capture file', async () => {
    for (const user of [users[0], users[3], users[4], users[39]] as string[]) {
      for (const cmd of ['state', 'requests']) {
        const fromStore = await cli([cmd, '--db', db, '--business', BUSINESS, '--user', user, '--at', at]);
        const fromFile = await cli([cmd, '--from', file, '--business', BUSINESS, '--user', user, '--at', at]);
        expect(fromStore.code).toBe(0);
        expect(fromStore.json()).toEqual(fromFile.json());
      }
    }
  });

  it('rebuild re-derives the log from the inbox under a new policy, atomically', async () => {
    const policy = join(policies, 'policy.json');
    writeFileSync(
      policy,
      JSON.stringify({ connected_call_limits: [{ time_period: 'PT24H', max_allowed: 1 }] }),
    );
    const user = users[1] as string;
    const before = await cli(['state', '--db', db, '--business', BUSINESS, '--user', user, '--at', at]);
    expect(
      (before.json() as { actions: { limits: { max_allowed: number }[] }[] }).actions[1]?.limits[0]
        ?.max_allowed,
    ).toBe(100);
    const run = await cli(['rebuild', '--db', db, '--policy', policy, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ lines: lines.length + 2, rejected: 2, duplicates: 0 });
    // The store keeps the policy it was rebuilt under: queries need not repeat it.
    const after = await cli(['state', '--db', db, '--business', BUSINESS, '--user', user, '--at', at]);
    const fromFile = await cli([
      'state',
      '--from',
      file,
      '--business',
      BUSINESS,
      '--user',
      user,
      '--at',
      at,
      '--policy',
      policy,
    ]);
    expect(after.json()).toEqual(fromFile.json());
    expect(
      (after.json() as { actions: { can_perform_action: boolean }[] }).actions[1]?.can_perform_action,
    ).toBe(false);
  });

  it("refuses a policy that is not the store's: only rebuild changes it", async () => {
    const other = join(policies, 'other.json');
    writeFileSync(other, JSON.stringify({ temporary_grant_seconds: 3600 }));
    for (const args of [
      ['state', '--db', db, '--business', BUSINESS, '--user', USER, '--policy', other],
      ['replay', file, '--db', db, '--policy', other],
    ]) {
      const run = await cli(args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`--policy ${other} is not the policy`);
      expect(run.stderr).toContain('callpermit rebuild --policy');
    }
  });

  it('a clean replay leaves no rejects file behind', async () => {
    const clean = captureFile([reply('wamid.R', T0, { response: 'accept', permanent: true }, USER)]);
    writeFileSync(`${clean}.rejects.ndjson`, 'stale\n');
    const run = await cli(['replay', clean, '--db', cleanDb, '--json']);
    expect(run.code).toBe(0);
    expect(existsSync(`${clean}.rejects.ndjson`)).toBe(false);
  });

  it('a line whose fact has a known key with other content is rejected as a conflict; the first version stays', async () => {
    const conflictDb = dbDir();
    // Two deliveries of reply wamid.C with different content: a permanent grant, then a decline.
    const first = reply('wamid.C', T0, { response: 'accept', permanent: true, source: 'user_action' });
    const second = reply('wamid.C', T0, { response: 'reject', context: 'wamid.REQ', source: 'user_action' });
    const conflicting = captureFile([first, second]);
    const run = await cli(['replay', conflicting, '--db', conflictDb, '--json']);
    expect(run.code).toBe(3);
    expect(run.json()).toMatchObject({ lines: 2, applied: 1, rejected: 1 });
    expect(run.stderr).toContain(
      `${conflicting}:2: conflict: the log holds key "reply:wamid.C" with other content`,
    );
    const [rejected] = readFileSync(`${conflicting}.rejects.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected).toMatchObject({ line: 2, raw: second });
    expect(rejected.reason).toMatch(
      /stored \{"type":"PermissionGranted".*given \{"type":"PermissionDeclined"/,
    );
    const state = await cli([
      'state',
      '--db',
      conflictDb,
      '--business',
      BUSINESS,
      '--user',
      USER,
      '--at',
      at,
    ]);
    expect((state.json() as { permission: unknown }).permission).toEqual({ status: 'permanent' });
  });
});

describe('callpermit replay: the embedded database’s cache', () => {
  it('defaults to a quarter of the machine’s memory, from 128 MB up to 768 MB', () => {
    const gb = 2 ** 30;
    expect([0.25, 1, 2, 3, 8, 64].map((g) => replayCacheMb(g * gb))).toEqual([128, 256, 512, 768, 768, 768]);
  });

  it('replays with the cache given, and refuses one PGlite cannot be given before touching the store', async () => {
    const { lines } = syntheticHistory(3, T0);
    const file = captureFile(lines);
    const db = dbDir();
    const run = await cli(['replay', file, '--db', db, '--json', '--cache-mb', '64']);
    expect(run.code).toBe(0);
    expect((run.json() as { lines: number }).lines).toBe(lines.length);
    const refused = await cli(['replay', file, '--db', dbDir(), '--cache-mb', '8']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--cache-mb "8": expected whole megabytes from 16 to 2048');
    // Without the flag, CALLPERMIT_PGLITE_CACHE_MB decides, with --db too.
    process.env.CALLPERMIT_PGLITE_CACHE_MB = '8';
    try {
      const fromEnv = await cli(['replay', file, '--db', dbDir()]);
      expect(fromEnv.code).not.toBe(0);
      expect(fromEnv.stderr).toContain('cache must be whole megabytes from 16 to 2048, got 8');
    } finally {
      delete process.env.CALLPERMIT_PGLITE_CACHE_MB;
    }
  });
});
