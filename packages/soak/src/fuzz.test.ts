import { describeWithPostgres } from '@callpermit/testing';
import { expect, it } from 'vitest';
import { fuzzCapture, fuzzScenario, fuzzTranslator } from './scenarios/fuzz.js';
import { fuzzHttp } from './scenarios/fuzzHttp.js';
import { shortRun } from './test/context.js';

const noDatabase = async (): Promise<string> => {
  throw new Error('the readers are fuzzed in process, without a database');
};

it('fuzz.translator: no exception, clear rejections, only facts the engine accepts, no prototype polluted', async () => {
  const report = await shortRun(fuzzTranslator, noDatabase);
  expect(report.details.rejected).toBeGreaterThan(0);
  expect(report.details.facts).toBeGreaterThan(0);
});

it('fuzz.capture: every line read back as the file holds it, whatever its endings and cuts; every line translated', async () => {
  const report = await shortRun(fuzzCapture, noDatabase);
  expect(report.details.linesRead).toBeGreaterThan(0);
});

it('fuzz.scenario: a scenario or a ScenarioError with its line, never another exception', async () => {
  const report = await shortRun(fuzzScenario, noDatabase);
  expect(report.details.parsed).toBeGreaterThan(0);
});

describeWithPostgres('fuzzing the HTTP endpoints (short)', (newDatabase) => {
  it('fuzz.http: no 5xx, no input without facts changes the log, signed bodies kept, no prototype polluted', async () => {
    const report = await shortRun(fuzzHttp, newDatabase);
    expect(report.details.unchangedChecks).toBeGreaterThan(0);
    expect(report.details.signedBodiesKept).toBeGreaterThan(0);
  });
});
