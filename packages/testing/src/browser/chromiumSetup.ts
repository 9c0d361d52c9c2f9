import { execFileSync, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * The page tests drive Debian's chromium (no browser download: playwright-core only). A machine without it
 * gets it from apt, as root, the way CI's machines run; where that fails the tests say why instead of
 * passing.
 */
export default function setup(project: TestProject): void {
  if (!existsSync(CHROMIUM)) {
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execSync('apt-get update', { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
        stdio: 'inherit',
        env,
      });
    } catch (error) {
      project.provide('chromiumError', `cannot install chromium: ${(error as Error).message}`);
      return;
    }
  }
  project.provide('chromiumError', null);
}

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumError: string | null;
  }
}
