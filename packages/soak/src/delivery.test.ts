import { describeWithPostgres } from '@callpermit/testing';
import { expect, it } from 'vitest';
import { redelivery } from './scenarios/redelivery.js';
import { shortRun } from './test/context.js';

describeWithPostgres('redelivery and disorder (short)', (newDatabase) => {
  it('the load ×3, shuffled, across two instances: every GET body byte for byte the ordered delivery’s', async () => {
    const report = await shortRun(redelivery, newDatabase);
    expect(report.details.answersCompared).toBeGreaterThan(0);
    expect(report.details.duplicates).toBe(report.details.expectedDuplicates);
  });
});
