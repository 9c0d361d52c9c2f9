import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
// The ProvidedContext keys (pgUrl, pgError) are declared beside describeWithPostgres.
import type {} from '@callpermit/testing';
import type { TestProject } from 'vitest/node';

const script = fileURLToPath(new URL('../../../../.ci/pg.sh', import.meta.url));

/**
 * Gives the store's tests a PostgreSQL server: CALLPERMIT_TEST_PG_URL when set, else a throwaway one from
 * .ci/pg.sh, stopped (and its directory deleted) at teardown.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.CALLPERMIT_TEST_PG_URL;
  if (given) {
    project.provide('pgUrl', given);
    project.provide('pgError', null);
    return undefined;
  }
  const child = spawn('bash', [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    project.provide('pgUrl', await urlFrom(child));
    project.provide('pgError', null);
  } catch (error) {
    project.provide('pgUrl', null);
    project.provide('pgError', (error as Error).message);
    return undefined;
  }
  return async () => {
    const exited = once(child, 'exit');
    // Closing stdin ends the script, whose exit trap stops the server and deletes its directory.
    child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGTERM');
  };
}

function urlFrom(child: ChildProcess): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    // apt-get may have to install the server first on a clean machine.
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`.ci/pg.sh gave no URL within 5 minutes:\n${stderr}`));
    }, 300_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('postgres://')) return;
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`.ci/pg.sh exited with status ${code} before giving a URL:\n${stderr}`));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
