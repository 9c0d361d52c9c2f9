// Runs a scenario at its short size inside the test suite, on the suite's throwaway PostgreSQL.
import { expect } from 'vitest';
import { runScenario, type Scenario, type ScenarioReport } from '../scenario.js';

export async function shortRun(
  scenario: Scenario,
  newDatabase: () => Promise<string>,
): Promise<ScenarioReport> {
  const report = await runScenario(scenario, {
    size: 'short',
    log: () => {},
    newDatabase,
  });
  // The problems say what a non-zero figure counts: shown when a figure is off.
  expect(
    {
      lost: report.lost,
      doubleCounted: report.doubleCounted,
      violations: report.violations,
      serverErrors: report.serverErrors,
    },
    report.problems.join('\n'),
  ).toEqual({ lost: 0, doubleCounted: 0, violations: 0, serverErrors: 0 });
  expect(report.inputs).toBeGreaterThan(0);
  return report;
}
