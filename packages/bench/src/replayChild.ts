// The child process of passInChild: runs one pass over a capture and sends the result to the parent.
import { type PassKind, type PassResult, parsePass, replayPass, translatePass } from './replay.js';

const passes: Record<PassKind, (path: string) => Promise<PassResult>> = {
  replay: (path) => replayPass(path),
  'replay-live': (path) => replayPass(path, true),
  translate: translatePass,
  parse: parsePass,
};
const [kind, path] = process.argv.slice(2);
const pass = kind !== undefined && Object.hasOwn(passes, kind) ? passes[kind as PassKind] : undefined;
if (pass === undefined || path === undefined) {
  process.stderr.write('usage: replayChild.js replay|translate|parse FILE\n');
  process.exit(2);
}
const result = await pass(path);
process.send?.(result);
