// simulate, compare, explore and timeline as a user runs them: real files in, text/JSON/HTML out, exit codes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { permissionRequestCall, startCallCall } from '@callpermit/cloud-api';
import { T0 } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { captureFile, cli, tempDir } from '../test/harness.js';
import { BUSINESS, reply, sendFreeForm, status, USER, userText } from '../test/wire.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const example = (name: string) => join(EXAMPLES, name);
const FIVE = example('policies/five-calls-a-day.json');
const SEED = example('policies/seed.json');
const dir = tempDir('callpermit-sim-');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('callpermit simulate', () => {
  it('prints the state after each step and the expectations passed; exit 0', async () => {
    const run = await cli(['simulate', example('one-request-per-24h.yaml')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/refused 138009/);
    expect(run.stdout).toMatch(/✓ \d+ expectations passed$/);
  });

  it('--json gives each step’s decisions, Meta’s GET body and the checks', async () => {
    const run = await cli(['simulate', example('one-request-per-24h.yaml'), '--json']);
    expect(run.code).toBe(0);
    const report = run.json() as {
      passed: boolean;
      steps: { decisions: { refused?: number }[]; call_permissions: unknown }[];
    };
    expect(report.passed).toBe(true);
    expect(report.steps[1]?.decisions[0]?.refused).toBe(138009);
    expect(report.steps[0]?.call_permissions).toMatchObject({ messaging_product: 'whatsapp' });
  });

  it('a failed expectation: exit 1, the step, line, field, expected and actual', async () => {
    const scenario = file('fails.yaml', 'scenario: s\nsteps:\n  - do: call\n    expect: { allowed: true }\n');
    const run = await cli(['simulate', scenario]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ step 1 (line 3) allowed: expected allowed, got refused 138006');
    expect(run.stderr).toBe('callpermit: some expectations failed');
  });

  it('the changes the feed told: a column, in --json, and an expectation that shows both lists', async () => {
    const example7d = example('temporary-grant-lasts-7-days.yaml');
    const text = await cli(['simulate', example7d]);
    expect(text.code, text.stdout).toBe(0);
    expect(text.stdout).toMatch(/│ changes told\s+│/);
    expect(text.stdout).toContain('permission.expired');
    const json = (await cli(['simulate', example7d, '--json'])).json() as {
      steps: { changes: { kind: string; at: number; cause: { kind: string } }[] }[];
    };
    expect(json.steps[3]?.changes.map((c) => [c.kind, c.cause.kind])).toEqual([
      ['request.expired', 'time'],
      ['permission.expired', 'time'],
    ]);
    const scenario = file(
      'changes.yaml',
      'scenario: s\nsteps:\n  - do: grant\n    expect: { changes: [permission.revoked] }\n',
    );
    const run = await cli(['simulate', scenario]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '✗ step 1 (line 3) changes: expected ["permission.revoked"], got ["permission.granted"]',
    );
  });

  it('--policy beats the policy the scenario names', async () => {
    const run = await cli(['simulate', example('permanent-grant-never-expires.yaml'), '--policy', SEED]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('refused: expected refused 138012, got allowed');
  });

  it('a bad scenario is one line naming the file, line, field and reason; never a stack trace', async () => {
    const bad = file('bad.yaml', 'scenario: s\nsteps:\n  - do: call\n    outcome: maybe\n');
    const run = await cli(['simulate', bad]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^callpermit: ${bad}:4:14: steps\\[0\\]\\.outcome: `));
    expect(run.stderr.split('\n')).toHaveLength(1);
    const missing = await cli(['simulate', join(dir, 'nope.yaml')]);
    expect(missing.stderr).toMatch(/^callpermit: .*nope\.yaml:0:0: cannot read: ENOENT$/);
  });
});

describe('callpermit compare', () => {
  it('one pair: the first divergence, the facts there and both answers', async () => {
    const run = await cli([
      'compare',
      example('replay-a-capture-under-another-era.yaml'),
      '--policy',
      FIVE,
      '--policy',
      SEED,
      '--business',
      BUSINESS,
      '--user',
      USER,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/first divergence at 2025-12-31T15:32:00Z/);
    expect(run.stdout).toMatch(/\n {2}A: .*can call: no; .*calls 5\/5 PT24H/);
    expect(run.stdout).toMatch(/\n {2}B: .*can call: yes; .*calls 5\/100 PT24H/);
  });

  it('all pairs of a capture, with Meta’s refused Graph calls among the actions: a summary as JSON', async () => {
    const at = (s: number) => T0 + s;
    const capture = captureFile([
      userText('wamid.IN', at(0)),
      sendFreeForm('wamid.R1', at(10)),
      status('wamid.R1', 'delivered', at(11)),
      JSON.stringify(
        permissionRequestCall(
          { phoneNumberId: BUSINESS },
          {
            at: at(3700),
            user: USER,
            via: 'free_form',
            outcome: { httpStatus: 400, code: 138009, message: 'limit' },
          },
        ),
      ),
      reply('wamid.REP', at(7200), { response: 'accept', context: 'wamid.R1' }),
      JSON.stringify(
        startCallCall(
          { phoneNumberId: BUSINESS },
          { at: at(7300), user: USER, outcome: { callId: 'wacid.1' } },
        ),
      ),
    ]);
    const oneAnHour = file('hour.json', '{"request_limits":[{"time_period":"PT1H","max_allowed":1}]}');
    const run = await cli([
      'compare',
      '--from',
      capture,
      '--policy',
      SEED,
      '--policy',
      oneAnHour,
      '--business',
      BUSINESS,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = run.json() as { total: { requests: Record<string, number>; calls: Record<string, number> } };
    expect(out.total.requests).toEqual({
      total: 2,
      refusedByA: 1,
      refusedByB: 0,
      onlyBRefuses: 0,
      onlyARefuses: 1,
    });
    expect(out.total.calls).toMatchObject({ total: 1, refusedByA: 0, refusedByB: 0 });
  });

  it('needs exactly two policies and one history', async () => {
    const once = await cli([
      'compare',
      '--from',
      example('capture.ndjson'),
      '--policy',
      SEED,
      '--business',
      BUSINESS,
    ]);
    expect([once.code, once.stderr]).toEqual([
      1,
      'callpermit: give --policy exactly twice: policy A, then policy B',
    ]);
  });
});

describe('callpermit explore', () => {
  it('--goal without a name lists the goals', async () => {
    const run = await cli(['explore', '--goal']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').map((l) => l.split(' ')[0])).toEqual(
      expect.arrayContaining(['auto-revoked', 'call-limit', 'declined-then-accepted']),
    );
  });

  it('prints a scenario that simulate runs with its expectations passing', async () => {
    const run = await cli(['explore', '--goal', 'call-limit', '--policy', FIVE, '--seed', '3']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^# Found by: callpermit explore --goal call-limit --policy .*five-calls-a-day\.json --seed 3/,
    );
    const again = await cli(['explore', '--goal', 'call-limit', '--policy', FIVE, '--seed', '3']);
    expect(again.stdout).toBe(run.stdout);
    const scenario = file('found.yaml', run.stdout);
    const replay = await cli(['simulate', scenario]);
    expect(replay.code, replay.stdout).toBe(0);
  });

  it('an unknown goal is one line', async () => {
    const run = await cli(['explore', '--goal', 'world-peace']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^callpermit: --goal world-peace: no such goal \(one of auto-revoked, /);
  });
});

describe('callpermit timeline', () => {
  it('a scenario: one self-contained HTML file with its refusals', async () => {
    const out = join(dir, 'scenario.html');
    const run = await cli(['timeline', example('automatic-revoke-after-4-unanswered.yaml'), '--html', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^wrote .*scenario\.html: .*1 refusal\(s\)$/);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('"code":138006');
    expect(html).not.toMatch(/<img\b|<link\b(?![^>]*href="data:)|src="http/);
  });

  it('a capture and a store of the same history: the same page data; refused Graph calls shown from both', async () => {
    const capture = captureFile([
      ...readFileSync(example('capture.ndjson'), 'utf8').trim().split('\n'),
      JSON.stringify(
        startCallCall(
          { phoneNumberId: BUSINESS },
          {
            at: 1_767_200_000,
            user: USER,
            outcome: { httpStatus: 400, code: 138012, message: 'limit reached' },
          },
        ),
      ),
    ]);
    const pair = [
      '--business',
      BUSINESS,
      '--user',
      USER,
      '--since',
      '2025-12-31T00:00:00Z',
      '--until',
      '2026-01-09T00:00:00Z',
    ];
    const fromCapture = join(dir, 'capture.html');
    const a = await cli(['timeline', '--from', capture, ...pair, '--html', fromCapture]);
    expect(a.code, a.stderr).toBe(0);
    const db = join(dir, 'db');
    expect((await cli(['replay', capture, '--db', db])).code).toBe(0);
    const fromStore = join(dir, 'store.html');
    const b = await cli(['timeline', '--db', db, ...pair, '--html', fromStore]);
    expect(b.code, b.stderr).toBe(0);
    const data = (path: string) => {
      const json = /<script type="application\/json" id="timeline-data">(.*)<\/script>/.exec(
        readFileSync(path, 'utf8'),
      )?.[1];
      const model = JSON.parse(json ?? 'null');
      return {
        ...model,
        refusals: model.refusals.map((r: { source?: string }) => ({ ...r, source: undefined })),
      };
    };
    expect(data(fromStore)).toEqual(data(fromCapture));
    expect(data(fromCapture).refusals).toEqual([
      expect.objectContaining({ code: 138012, action: 'start_call', at: 1_767_200_000 }),
    ]);
  });

  it('says what is missing', async () => {
    const run = await cli(['timeline', '--from', example('capture.ndjson'), '--html', join(dir, 'x.html')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'callpermit: --business and --user are required (except with a scenario, which names its pair)',
    );
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });
});
