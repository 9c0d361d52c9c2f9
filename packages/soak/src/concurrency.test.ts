import { describeWithPostgres } from '@callpermit/testing';
import { expect, it } from 'vitest';
import { concurrency } from './scenarios/concurrency.js';
import { shortRun } from './test/context.js';

describeWithPostgres('concurrency (short)', (newDatabase) => {
  it('two instances, racing attempts while webhooks arrive: each limit used exactly, the right code for every refusal, no 5xx', async () => {
    const report = await shortRun(concurrency, newDatabase);
    expect(report.details.allowed).toBeGreaterThan(0);
    expect(report.details.webhooks).toBeGreaterThan(0);
  });
});
