import { Command } from 'commander';
import type { BenchResult } from './benchmark.js';
import { benchmarks } from './registry.js';

const log = (message: string) => process.stderr.write(`${message}\n`);

/**
 * `pnpm -s bench [PREFIX]`: runs the benchmarks whose names start with PREFIX and prints only a JSON array
 * of results on stdout; progress goes to stderr.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('bench')
    .description('Run the callpermit benchmarks; prints a JSON array of results on stdout.')
    .argument('[prefix]', 'run only benchmarks whose name starts with this', '')
    .addHelpText('after', `\nBenchmarks:\n${benchmarks.map((b) => `  ${b.name}`).join('\n')}`)
    .configureOutput({ writeOut: (s) => process.stderr.write(s) })
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode ?? 2;
  }
  const prefix = program.args[0] ?? '';
  const selected = benchmarks.filter((b) => b.name.startsWith(prefix));
  if (selected.length === 0) {
    log(
      `bench: no benchmark name starts with "${prefix}"; known: ${benchmarks.map((b) => b.name).join(', ')}`,
    );
    process.stdout.write('[]\n');
    return 1;
  }
  const results: BenchResult[] = [];
  let failed = 0;
  for (const b of selected) {
    log(`bench: ${b.name} …`);
    try {
      const r = await b.run(log);
      log(`bench: ${r.name}: ${r.ours} ${r.unit} vs ${r.baseline} (${r.baseline_name}): ratio ${r.ratio}`);
      results.push(r);
    } catch (error) {
      // The others still run; the exit code says something is missing from the array.
      failed++;
      log(`bench: ${b.name} failed: ${(error as Error).message}`);
    }
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed === 0 ? 0 : 1;
}
