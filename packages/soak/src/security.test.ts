import { describeWithPostgres } from '@callpermit/testing';
import { expect, it } from 'vitest';
import { security } from './scenarios/security.js';
import { shortRun } from './test/context.js';

describeWithPostgres('attacks (short)', (newDatabase) => {
  it('security: forged signatures, missing and wrong tokens on every secured route, identifier tricks, a redirect, slow bodies: refused, nothing applied or forwarded, no secret printed', async () => {
    const report = await shortRun(security, newDatabase);
    // The token table comes from /openapi.json: every /v1/ route and Graph path, each tried with 9 bad tokens.
    expect(report.details.tokenRoutes as number).toBeGreaterThanOrEqual(20);
    expect(report.details.logLines as number).toBeGreaterThan(100);
  });
});
