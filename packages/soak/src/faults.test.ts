import { expect, it } from 'vitest';
import { runScenario } from './scenario.js';
import { databasePglite, databasePostgres } from './scenarios/databaseFaults.js';
import { shortRun } from './test/context.js';

const noSharedServer = async (): Promise<string> => {
  throw new Error('the database-fault scenarios start a PostgreSQL server of their own');
};

it('db.postgres: stopped, frozen, crashed, read-only, out of disk: 503 with Retry-After, /readyz, recovery, nothing lost', async () => {
  const report = await shortRun(databasePostgres, noSharedServer);
  expect(report.rounds).toBeGreaterThanOrEqual(4);
  expect(report.details.answersCompared).toBeGreaterThan(0);
});

it('db.pglite: its disk filled under load: 503 with Retry-After, no hang, recovery, nothing lost', async (context) => {
  const probe = await runScenario(databasePglite, {
    size: 'short',
    log: () => {},
    newDatabase: noSharedServer,
  });
  // Where this machine cannot mount a small file system, the scenario says so and the test is skipped, not faked.
  if (typeof probe.details.skipped === 'string') return context.skip(probe.details.skipped);
  expect(
    {
      lost: probe.lost,
      doubleCounted: probe.doubleCounted,
      violations: probe.violations,
      serverErrors: probe.serverErrors,
    },
    probe.problems.join('\n'),
  ).toEqual({ lost: 0, doubleCounted: 0, violations: 0, serverErrors: 0 });
  expect(probe.inputs).toBeGreaterThan(0);
  expect(JSON.stringify(probe.details.statuses)).toContain('503');
});
