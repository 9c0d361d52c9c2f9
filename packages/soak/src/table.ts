import Table from 'cli-table3';
import type { ScenarioReport } from './scenario.js';

/** The summary table: one row per scenario, the figures that must be 0 in the middle, the time last. */
export function summaryTable(reports: readonly ScenarioReport[]): string {
  const table = new Table({
    head: ['scenario', 'rounds', 'inputs', 'lost', 'double-counted', 'violations', '5xx', 'time'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const r of reports)
    table.push([
      r.scenario,
      r.rounds,
      r.inputs,
      r.lost,
      r.doubleCounted,
      r.violations,
      r.serverErrors,
      `${(r.ms / 1000).toFixed(1)} s`,
    ]);
  return table.toString();
}
