import { Command } from 'commander';
import { type PostgresServer, sharedPostgres } from './parts/sharedPostgres.js';
import { scenarios } from './registry.js';
import { clean, runScenario, type ScenarioReport, type Size } from './scenario.js';
import { summaryTable } from './table.js';

const log = (message: string) => process.stderr.write(`soak: ${message}\n`);

/** Scenarios named exactly, or whose name starts with `NAME.` (`crash` selects every crash scenario). */
function select(names: readonly string[]) {
  if (names.length === 0) return { chosen: [...scenarios], unknown: [] as string[] };
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n || s.name.startsWith(`${n}.`)));
  const chosen = scenarios.filter((s) => names.some((n) => s.name === n || s.name.startsWith(`${n}.`)));
  return { chosen, unknown };
}

/**
 * `pnpm -s soak [NAME…] [--json] [--size short|full]`: runs the scenarios (all, or those named) at their full size,
 * prints the summary table on stdout (with `--json`: one JSON object per scenario instead), a JSON line per
 * scenario on stderr as each ends, and exits with 1 when any figure that must be 0 is not.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('soak')
    .description('Run the reliability scenarios; prints the summary table on stdout.')
    .argument('[names...]', 'scenario names, or their first part (crash, fuzz, …); default: all')
    .option('--json', 'print one JSON object per scenario on stdout instead of the table')
    .option('--size <size>', 'short (the test suite’s sizes) or full', 'full')
    .addHelpText(
      'after',
      `\nScenarios:\n${scenarios.map((s) => `  ${s.name.padEnd(22)} ${s.summary}`).join('\n')}`,
    )
    .configureOutput({ writeOut: (s) => process.stderr.write(s) })
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode ?? 2;
  }
  const options = program.opts<{ json?: boolean; size: string }>();
  if (options.size !== 'short' && options.size !== 'full') {
    log(`--size ${options.size}: expected short or full`);
    return 2;
  }
  const { chosen, unknown } = select(program.args);
  if (unknown.length > 0) {
    log(`no scenario named ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    return 2;
  }
  let postgres: PostgresServer | undefined;
  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of chosen) {
      log(`${scenario.name} (${options.size}) …`);
      const report = await runScenario(scenario, {
        size: options.size as Size,
        log: (m) => log(`${scenario.name}: ${m}`),
        newDatabase: async () => {
          postgres ??= await sharedPostgres(log);
          return postgres.newDatabase();
        },
      });
      reports.push(report);
      process.stderr.write(`${JSON.stringify(report)}\n`);
      for (const problem of report.problems) log(`${scenario.name}: ${problem}`);
    }
  } finally {
    await postgres?.stop();
  }
  if (options.json) for (const r of reports) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`${summaryTable(reports)}\n`);
  const failed = reports.filter((r) => !clean(r));
  if (failed.length > 0)
    log(`figures that must be 0 are not in: ${failed.map((r) => r.scenario).join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}
