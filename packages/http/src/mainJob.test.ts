// The README's main job, as a person runs it: `callpermit serve --insecure-dev --load examples/capture.ndjson`
// on the embedded store. It loads the example history (a second start adds nothing), prints a token for the
// run and ready-to-paste queries, and those queries answer what `callpermit state` answers for the same history.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServeProcess, startServe } from '@callpermit/testing/serve';
import { afterAll, describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('../../../examples/capture.ndjson', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/bin/callpermit.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'callpermit-main-job-'));
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('CALLPERMIT_')),
) as NodeJS.ProcessEnv;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Waits until the process has printed the timeline page's address (its last line of instructions). */
async function instructions(serve: ServeProcess): Promise<string> {
  for (let i = 0; i < 600 && !/Timeline page: \S+/.test(serve.output()); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return serve.output();
}

async function run(): Promise<{ output: string; serve: ServeProcess }> {
  const serve = await startServe(['--insecure-dev', '--db', join(dir, 'db'), '--load', EXAMPLE], {
    ...env,
    CALLPERMIT_LOG_LEVEL: 'silent',
  });
  return { output: await instructions(serve), serve };
}

describe('the main job: serve with the example history loaded', () => {
  it('prints a token and queries that answer as `callpermit state` does; a second start adds nothing', async () => {
    const first = await run();
    try {
      const { output } = first;
      expect(output).toMatch(
        /loaded .*capture\.ndjson: 20 lines, 17 applied, 0 duplicates, 3 ignored, 0 rejected/,
      );
      const token = /the API token for this run is (\S+)/.exec(output)?.[1] as string;
      expect(token).toMatch(/^dev-[0-9a-f]{32}$/);
      const query = /curl -s -H 'Authorization: Bearer \S+' '(\S+\/call_permissions\?[^']+)'/.exec(
        output,
      )?.[1];
      expect(query).toBeDefined();
      const url = new URL(query as string);
      const answer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(200);
      const business = url.pathname.split('/')[2] as string;
      const user = url.searchParams.get('user_wa_id') as string;
      const at = url.searchParams.get('at') as string;
      const state = execFileSync(
        process.execPath,
        [BIN, 'state', '--from', EXAMPLE, '--business', business, '--user', user, '--at', at],
        { encoding: 'utf8', env },
      );
      expect(await answer.json()).toEqual(JSON.parse(state));
      expect((await fetch(url)).status).toBe(401);

      const page = /Timeline page: (\S+)/.exec(output)?.[1] as string;
      const html = await fetch(page);
      expect(html.status).toBe(200);
      expect(await html.text()).toContain('<svg');
    } finally {
      expect(await first.serve.stop()).toBe(0);
    }
    const second = await run();
    try {
      expect(second.output).toMatch(/20 lines, 0 applied, 20 duplicates, 0 ignored, 0 rejected/);
      const token = /the API token for this run is (\S+)/.exec(second.output)?.[1];
      expect(token).not.toBe(/the API token for this run is (\S+)/.exec(first.output)?.[1]);
    } finally {
      expect(await second.serve.stop()).toBe(0);
    }
  });
});
