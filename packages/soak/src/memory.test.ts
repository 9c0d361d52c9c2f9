import { describeWithPostgres } from '@callpermit/testing';
import { expect, it } from 'vitest';
import { MAX_GROWTH, memoryServe } from './scenarios/memory.js';
import { shortRun } from './test/context.js';

describeWithPostgres('memory (short)', (newDatabase) => {
  it(`memory.serve: RSS after the last webhook within ${MAX_GROWTH} × RSS after the first tenth, every one kept`, async () => {
    const report = await shortRun(memoryServe, newDatabase);
    expect(report.details.acknowledged).toBe(report.inputs);
    expect(report.details.growth as number).toBeLessThanOrEqual(MAX_GROWTH);
  });
});
