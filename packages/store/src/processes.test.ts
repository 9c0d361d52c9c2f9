import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Fact } from '@callpermit/core';
import { describeWithPostgres, T0 } from '@callpermit/testing';
import { busiestWindow } from '@callpermit/testing/limits';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './index.js';
import { type ContenderPlan, commandsOf, PHASE_SECONDS, pairsOf } from './test/contender.js';

// Real OS processes run the built package (Node 20 cannot run .ts): build it first.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(packageDir, '../..');
beforeAll(() => {
  try {
    execFileSync(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-b', 'packages/store'], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`tsc -b packages/store failed, so the worker scripts are not built:\n${stdout}${stderr}`);
  }
}, 120_000);

interface Worker {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line that has `key`. */
  line(key: string): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function worker(script: string, args: string[]): Worker {
  const child = spawn(process.execPath, [path.join(packageDir, 'dist/test', script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiting: { key: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    lines.push(parsed);
    for (const w of waiting.filter((x) => x.key in parsed)) w.resolve(parsed);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    line: (key) =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => key in l);
        if (found) return resolve(found);
        waiting.push({ key, resolve });
        void exited.then((code) =>
          reject(new Error(`${script} exited (${code}) before "${key}":\n${stderr}`)),
        );
      }),
  };
}

describeWithPostgres('two processes against one PostgreSQL', (newDatabase) => {
  it('500 interleaved commands never exceed a limit, and every accepted command is in the log', async () => {
    const databaseUrl = await newDatabase();
    const base = {
      databaseUrl,
      business: '109876543299999',
      phases: 25,
      commandsPerPhase: 10,
      users: 3,
      t0: T0,
    };
    const plans: ContenderPlan[] = [0, 1].map((w) => ({ ...base, worker: w }));
    // Migrate once up front so the workers race on commands, not on creating tables.
    await (await openStore({ databaseUrl })).close();
    const workers = plans.map((plan) => worker('contender.js', [JSON.stringify(plan)]));
    await Promise.all(workers.map((w) => w.line('ready')));
    for (const w of workers) w.child.stdin?.write('go\n');
    for (let phase = 0; phase < base.phases; phase++) {
      await Promise.all(workers.map((w) => w.line(`phase${phase}`)));
      for (const w of workers) w.child.stdin?.write('go\n');
    }
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);

    const answers = workers.flatMap((w) => w.lines.filter((l) => 'command' in l)) as {
      ok: boolean;
      keys: string[];
      code: number | null;
      replayed: boolean;
    }[];
    expect(answers).toHaveLength(500);
    // Refusals are Meta's limit codes only: no command failed for another reason or was taken for a replay.
    expect(new Set(answers.filter((a) => !a.ok).map((a) => a.code))).toEqual(new Set([138009, 138012]));
    expect(answers.some((a) => a.replayed)).toBe(false);

    const store = await openStore({ databaseUrl });
    const log: Fact[] = [];
    for (
      let page = await store.readAll(0, 1000);
      page.length > 0;
      page = await store.readAll(page.at(-1)?.position ?? 0, 1000)
    ) {
      log.push(...page.map((r) => r.fact));
    }
    await store.close();

    // No fact lost, none invented: the command facts in the log are exactly the accepted commands'.
    const accepted = answers.flatMap((a) => a.keys);
    const commandFacts = log.filter((f) => f.key.startsWith('command:'));
    expect(commandFacts.map((f) => f.key).sort()).toEqual([...accepted].sort());
    expect(log.length - commandFacts.length).toBe(base.phases * base.users);

    for (const pair of pairsOf(base)) {
      const ofPair = (type: string) =>
        log.filter((f) => f.type === type && 'pair' in f && f.pair.user === pair.user).map((f) => f.at);
      const sends = ofPair('RequestSent');
      const calls = ofPair('CallAttempted');
      // Meta's request limits (1 a day, 2 a week) and the run's call limit (2 held at once) in every window.
      expect(busiestWindow(sends, 86_400)).toBe(1);
      expect(busiestWindow(sends, 7 * 86_400)).toBe(1);
      expect(busiestWindow(calls, 120)).toBe(2);
      // And no more refusals than the limits explain: every phase used each limit to the full.
      for (let phase = 0; phase < base.phases; phase++) {
        const at = base.t0 + phase * PHASE_SECONDS;
        expect([sends.filter((t) => t === at).length, calls.filter((t) => t === at).length]).toEqual([1, 2]);
      }
    }
    // The schedule really did contend: both workers asked for every pair in every phase.
    const asked = plans.flatMap((p) => commandsOf(p, 0).map((c) => `${c.type}:${c.pair.user}`));
    expect(new Set(asked).size).toBe(2 * base.users);
  }, 120_000);
});

describe('the embedded data directory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'callpermit-lock-'));
  const dataDir = path.join(dir, 'db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused to a second process while one has it open, and taken over from a process that died', async () => {
    const holder = worker('holdStore.js', [dataDir]);
    const { pid } = (await holder.line('ready')) as { pid: number };
    await expect(openStore({ dataDir })).rejects.toThrow(
      `the embedded database at ${dataDir} is in use by process ${pid}`,
    );
    holder.child.stdin?.end();
    expect(await holder.exited).toBe(0);

    const killed = worker('holdStore.js', [dataDir]);
    await killed.line('ready');
    killed.child.kill('SIGKILL');
    await killed.exited;
    const store = await openStore({ dataDir });
    await expect(openStore({ dataDir })).rejects.toThrow('is open already in this process');
    await store.close();
  }, 120_000);
});
