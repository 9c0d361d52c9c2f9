import { describeWithPostgres } from '@callpermit/testing';
import { expect, it } from 'vitest';
import {
  crashRebuildPglite,
  crashRebuildPostgres,
  crashReplayPglite,
  crashReplayPostgres,
} from './scenarios/crashCli.js';
import { crashServePglite, crashServePostgres } from './scenarios/crashServe.js';
import { shortRun } from './test/context.js';

describeWithPostgres('crash under load (short)', (newDatabase) => {
  for (const scenario of [crashServePglite, crashServePostgres])
    it(`${scenario.name}: every acknowledged webhook is stored after each SIGKILL; the end equals a clean replay`, async () => {
      const report = await shortRun(scenario, newDatabase);
      expect(report.rounds).toBeGreaterThanOrEqual(2);
      expect(report.details.killsUnderLoad).toBeGreaterThanOrEqual(1);
      expect(report.details.answersCompared).toBeGreaterThan(0);
    });
});

describeWithPostgres('batch commands killed (short)', (newDatabase) => {
  for (const scenario of [crashReplayPostgres, crashReplayPglite])
    it(`${scenario.name}: after each SIGKILL only what a clean replay holds; run again, exactly a clean replay`, async () => {
      const report = await shortRun(scenario, newDatabase);
      expect(report.rounds).toBeGreaterThanOrEqual(1);
    });
  for (const scenario of [crashRebuildPostgres, crashRebuildPglite])
    it(`${scenario.name}: after each SIGKILL the old log intact or the new one complete`, async () => {
      const report = await shortRun(scenario, newDatabase);
      expect(report.rounds).toBeGreaterThanOrEqual(1);
      expect(report.details.killedBeforeCommit as number).toBeGreaterThanOrEqual(0);
    });
});
