import { join } from 'node:path';
import { bodyHash } from '@callpermit/store';
import { describe, expect, it } from 'vitest';
import { translateCaptures } from './capture.js';
import { CliFailure } from './failure.js';
import { captureFile, tempDir } from './test/harness.js';
import { syntheticHistory } from './test/wire.js';

// The worker runs the built script: from source the module reads on the main thread instead, so the built
// module is what is tested here (the global setup builds it).
const { translateOffThread } = (await import(
  new URL('../dist/translationThread.js', import.meta.url).href
)) as typeof import('./translationThread.js');

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('translation on a worker thread', () => {
  const { lines } = syntheticHistory(30, 1_767_168_000);
  const first = captureFile(lines.slice(0, 70));
  const second = captureFile([...lines.slice(70), 'not json at all']);

  it('gives the batches the main thread would, in order, with the translator carried across files', async () => {
    const off = await all(translateOffThread([first, second], 25));
    const here = await all(translateCaptures([first, second], 25));
    expect(off.length).toBeGreaterThan(2);
    // The text comes back from the encoded body, and every body is its line's, hashed as the inbox does.
    expect(
      off.map((b) => b.lines.map(({ file, lineNo, raw, outcome }) => ({ file, lineNo, raw, outcome }))),
    ).toEqual(here);
    expect(off.map((b) => b.bodies.map((body) => [body.text, body.hash]))).toEqual(
      here.map((b) => b.map((line) => [line.raw, bodyHash(line.raw)])),
    );
    expect(off.at(-1)?.lines.at(-1)?.outcome.kind).toBe('rejected');
  });

  it('an unreadable file is the same one-line failure as on the main thread', async () => {
    const missing = join(tempDir('callpermit-missing-'), 'nope.ndjson');
    const error = await all(translateOffThread([first, missing], 25)).catch((e: unknown) => e);
    // The built module's CliFailure: the same class as the CLI's, from dist.
    expect(error).toMatchObject({
      name: 'CliFailure',
      exitCode: 1,
      message: `${missing}: cannot read: ENOENT`,
    });
    const here = await all(translateCaptures([first, missing], 25)).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(CliFailure);
    expect((here as Error).message).toBe((error as Error).message);
  });
});
