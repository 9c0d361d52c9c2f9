// Runs a scenario at its short size inside the test suite, on the suite's throwaway PostgreSQL.
import { expect } from 'vitest';
import { runScenario, type Scenario, type ScenarioReport } from '../scenario.js';

/** A scenario's short run's report, as it came (a test that may skip looks at it before asserting). */
export function runShort(scenario: Scenario, newDatabase: () => Promise<string>): Promise<ScenarioReport> {
  return runScenario(scenario, { size: 'short', log: () => {}, newDatabase });
}

/** Every figure that must be 0 is, and something was sent; the problems say what a non-zero figure counts. */
export function expectClean(report: ScenarioReport): void {
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
}

/** Runs `scenario` at its short size and expects it clean. */
export async function shortRun(
  scenario: Scenario,
  newDatabase: () => Promise<string>,
): Promise<ScenarioReport> {
  const report = await runShort(scenario, newDatabase);
  expectClean(report);
  return report;
}
