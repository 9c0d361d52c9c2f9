// The packages as an embedder gets them: core and cloud-api packed with `pnpm pack`, unpacked into a project
// outside the workspace, and the README's embedding example run there with plain Node (dist/, not src/).
// Their third-party dependencies are linked from this workspace's install, so the test needs no network;
// docs/embedding.md says how the same was checked with `npm install` from the registry.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../../../', import.meta.url));
const capture = fileURLToPath(new URL('../../../../examples/capture.ndjson', import.meta.url));

/** pnpm as this run was started with it (`pnpm test`), else the one on PATH. */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  const [command, prefix] =
    execPath !== undefined && /pnpm/.test(execPath) ? [process.execPath, [execPath]] : ['pnpm', []];
  return execFileSync(command, [...prefix, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** What an embedder writes: the README's example, with a capture translated by cloud-api. */
const EXAMPLE = `
import { readFileSync } from 'node:fs';
import { Engine, InvalidInput, MemoryFactStore } from '@callpermit/core';
import { parseInstant, Translator } from '@callpermit/cloud-api';

const translator = new Translator();
const facts = [];
for (const [i, line] of readFileSync(process.argv[2], 'utf8').split('\\n').entries()) {
  if (line.trim() === '') continue;
  const outcome = translator.line(line, 'capture:' + (i + 1));
  if (outcome.kind === 'facts') facts.push(...outcome.facts);
}
const engine = new Engine(new MemoryFactStore());
const ingested = await engine.ingest(facts);
const pair = { business: '109876543210987', user: '447700900123' };
const at = parseInstant('2026-01-01T12:00:00Z');
const call = await engine.execute({ type: 'StartCall', pair, callId: 'wacid.EMBED' }, new Date(at * 1000));
let refusal;
try {
  await engine.execute({ type: 'StartCall', pair, callId: 'wacid.MS' }, at * 1000);
} catch (error) {
  refusal = { invalidInput: error instanceof InvalidInput, field: error.field, message: error.message };
}
console.log(JSON.stringify({
  applied: ingested.applied,
  rejected: ingested.rejected.length,
  permission: (await engine.callPermissions(pair, at)).permission,
  call: { ok: call.ok, at: call.at },
  refusal,
}));
`;

describe('packed with pnpm pack and installed outside the workspace', () => {
  let project: string;
  const manifests: Record<string, { dependencies?: Record<string, string> }> = {};
  const contents: Record<string, string[]> = {};

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'callpermit-embed-'));
    const tarballs = join(project, 'tarballs');
    mkdirSync(tarballs);
    for (const name of ['core', 'cloud-api']) {
      pnpm(['pack', '--pack-destination', tarballs], join(packages, name));
      const tarball = readdirSync(tarballs).find((f) => f.startsWith(`callpermit-${name}-`)) as string;
      contents[name] = execFileSync('tar', ['tzf', join(tarballs, tarball)], { encoding: 'utf8' }).split(
        '\n',
      );
      const into = join(project, 'node_modules', '@callpermit', name);
      mkdirSync(into, { recursive: true });
      execFileSync('tar', ['xzf', join(tarballs, tarball), '-C', into, '--strip-components=1']);
      manifests[name] = JSON.parse(readFileSync(join(into, 'package.json'), 'utf8'));
      for (const dependency of Object.keys(manifests[name]?.dependencies ?? {})) {
        if (dependency.startsWith('@callpermit/')) continue;
        const installed = realpathSync(join(packages, name, 'node_modules', dependency));
        symlinkSync(installed, join(project, 'node_modules', dependency), 'dir');
      }
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(join(project, 'example.mjs'), EXAMPLE);
  }, 60_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('ships dist and sources without tests, and names core by version, not workspace:*', () => {
    expect(manifests['cloud-api']?.dependencies?.['@callpermit/core']).toBe('0.1.0');
    for (const name of ['core', 'cloud-api']) {
      const files = contents[name] ?? [];
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/index.d.ts');
      expect(files.filter((f) => /\.test\.|\/test\/|tsbuildinfo/.test(f))).toEqual([]);
    }
  });

  it("runs the README's embedding example under plain Node", () => {
    const output = execFileSync(process.execPath, ['example.mjs', capture], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual({
      applied: 19,
      rejected: 0,
      permission: { status: 'temporary', expiration_time: 1767772860 },
      call: { ok: true, at: 1767268800 },
      refusal: {
        invalidInput: true,
        field: 'at',
        message: expect.stringMatching(/^at: 1767268800000 looks like milliseconds/),
      },
    });
  });
});
