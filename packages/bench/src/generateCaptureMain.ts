import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { writeCapture } from './captureGenerator.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a positive integer`);
  return n;
}

function seed(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an integer from 0 to 4294967295`);
  return n;
}

/** `node packages/bench/bin/generate-capture.mjs --lines N --pairs P --seed S --out FILE` */
export function generateCaptureMain(argv: readonly string[]): number {
  const program = new Command('generate-capture')
    .description('Write a deterministic, realistic NDJSON capture (docs/capture-format.md).')
    .requiredOption('--lines <n>', 'lines to write', positiveInteger)
    .requiredOption('--pairs <n>', 'business/user pairs', positiveInteger)
    .option('--seed <n>', 'seed of the pseudo-random generator', seed, 1)
    .requiredOption('--out <file>', 'file to write')
    .configureOutput({ writeOut: (s) => process.stderr.write(s) })
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode ?? 2;
  }
  const o = program.opts<{ lines: number; pairs: number; seed: number; out: string }>();
  const out = resolve(o.out);
  try {
    const file = writeCapture({ lines: o.lines, pairs: o.pairs, seed: o.seed }, out);
    process.stderr.write(
      `generate-capture: ${file.lines} lines, ${(file.bytes / 1e6).toFixed(1)} MB in ${file.seconds.toFixed(1)} s → ${out}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(
      `generate-capture: cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`,
    );
    return 1;
  }
}
