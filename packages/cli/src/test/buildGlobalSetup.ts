import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Tests that run `bin/callpermit.mjs` as a real process need dist/ current: `tsc -b` is a no-op when it is. */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  execFileSync(`${root}node_modules/.bin/tsc`, ['-b', 'packages/cli'], { cwd: root, stdio: 'inherit' });
}
