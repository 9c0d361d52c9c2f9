import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { main } from '../main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: () => unknown;
}

/** Runs the CLI in this process with captured output, as a user would see it. */
export async function cli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    now: () => 1_800_000_000,
  });
  const stdout = out.join('\n');
  return { code, stdout, stderr: err.join('\n'), json: () => JSON.parse(stdout) };
}

const dir = mkdtempSync(join(tmpdir(), 'callpermit-cli-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const made = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(made, { recursive: true, force: true }));
  return made;
}

/** Writes capture lines to a fresh temp file and returns its path. */
export function captureFile(lines: readonly string[]): string {
  const file = join(dir, `capture-${++n}.ndjson`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
