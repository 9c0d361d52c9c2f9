import { expect, it } from 'vitest';
import { databasePglite, databasePostgres } from './scenarios/databaseFaults.js';
import { expectClean, runShort, shortRun } from './test/context.js';

const noSharedServer = async (): Promise<string> => {
  throw new Error('the database-fault scenarios start a PostgreSQL server of their own');
};

it('db.postgres: stopped, frozen, crashed, read-only, out of disk: 503 with Retry-After, /readyz, recovery, nothing lost', async () => {
  const report = await shortRun(databasePostgres, noSharedServer);
  expect(report.rounds).toBeGreaterThanOrEqual(4);
  expect(report.details.answersCompared).toBeGreaterThan(0);
});

it('db.pglite: its disk filled under load: 503 with Retry-After, no hang, recovery, nothing lost', async (context) => {
  const probe = await runShort(databasePglite, noSharedServer);
  // Where this machine cannot mount a small file system, the scenario says so and the test is skipped, not faked.
  if (typeof probe.details.skipped === 'string') return context.skip(probe.details.skipped);
  expectClean(probe);
  expect(JSON.stringify(probe.details.statuses)).toContain('503');
});
