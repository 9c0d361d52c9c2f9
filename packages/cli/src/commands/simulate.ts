import {
  jsonReport,
  loadScenario,
  ScenarioError,
  type Simulation,
  simulate,
  textReport,
} from '@callpermit/simulation';
import { Command } from 'commander';
import { CliFailure, Exit } from '../failure.js';
import { policyOption } from '../options.js';
import type { CliIo } from './query.js';

interface SimulateOptions {
  policy?: string;
  json?: boolean;
}

/**
 * Loads and runs a scenario file: `--policy` beats the policy the scenario names, which beats the seed's
 * defaults. A bad scenario is one line naming the file, line, field and reason.
 */
export async function runScenarioFile(file: string, policyFile: string | undefined): Promise<Simulation> {
  try {
    const loaded = await loadScenario(file);
    const policy =
      policyFile !== undefined || !loaded.policy ? await policyOption(policyFile) : loaded.policy.book;
    return await simulate(loaded.scenario, {
      policy,
      ...(loaded.capture ? { capture: loaded.capture } : {}),
    });
  } catch (error) {
    if (error instanceof ScenarioError) throw new CliFailure(error.message);
    throw error;
  }
}

/** `callpermit simulate`: runs a scenario and checks its expectations; exit 1 when any failed. */
export function simulateCommand(io: CliIo): Command {
  return new Command('simulate')
    .description('run a scenario file (YAML or JSON; docs/simulation.md) and check its expectations')
    .argument('<scenario>', 'the scenario file')
    .option('--policy <file>', 'policy file (JSON; docs/policy.md); beats the one the scenario names')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: SimulateOptions) => {
      const sim = await runScenarioFile(file, options.policy);
      io.stdout(options.json ? JSON.stringify(jsonReport(sim), null, 2) : textReport(sim));
      if (!sim.passed) throw new CliFailure('some expectations failed', Exit.expectationFailed);
    });
}
