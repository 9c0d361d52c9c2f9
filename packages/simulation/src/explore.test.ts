// Every goal: explore finds a sequence, prints it as a scenario, and `simulate` runs that text with its
// expectations passing. Deterministic for a seed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicyFile } from '@callpermit/cloud-api';
import { defaultPolicyBook } from '@callpermit/core';
import { describe, expect, it } from 'vitest';
import { explore, goals } from './explore.js';
import { parseScenario } from './scenario/read.js';
import { simulate } from './simulator.js';
import { EXAMPLES } from './test/examples.js';

describe('explore', () => {
  it('knows at least the five goals of the issue', () => {
    expect(goals.map((g) => g.name)).toEqual(
      expect.arrayContaining([
        'auto-revoked',
        'request-limit-without-permission',
        'call-limit',
        'declined-then-accepted',
        'reconsider-prompt',
      ]),
    );
  });

  it.each(goals.map((g) => g.name))(
    '%s: the printed scenario runs and its expectations pass',
    async (name) => {
      const goal = goals.find((g) => g.name === name);
      if (!goal) throw new Error(name);
      const found = await explore(goal, defaultPolicyBook, 1);
      expect(found, 'a sequence reaching the goal').toBeDefined();
      const text = found?.text ?? '';
      const sim = await simulate(parseScenario(text, `${name}.yaml`), { policy: defaultPolicyBook });
      const last = sim.steps.at(-1);
      expect(last?.checks.length).toBeGreaterThan(0);
      expect(sim.passed).toBe(true);
      // The goal is reached at the last step, not before: nothing after it, nothing needless before it.
      expect(goal.reached(sim)).toBe(sim.steps.length - 1);
    },
  );

  it('shrinks to the shortest sequences a person would write', async () => {
    const stepsOf = async (name: string) =>
      (
        await explore(goals.find((g) => g.name === name) as (typeof goals)[number], defaultPolicyBook, 1)
      )?.scenario.steps.map((s) => `${s.do}${s.repeat ? ` ×${s.repeat}` : ''}`);
    expect(await stepsOf('request-limit-without-permission')).toEqual(['send request', 'send request']);
    expect(await stepsOf('declined-then-accepted')).toEqual(['send request', 'decline', 'grant']);
    // The 101st connected call of a day (Meta's limit: 100).
    expect(await stepsOf('call-limit')).toEqual(['grant', 'call ×101']);
  });

  it('is deterministic for a seed, and follows the policy it is given', async () => {
    const goal = goals.find((g) => g.name === 'call-limit') as (typeof goals)[number];
    const policyFile = join(EXAMPLES, 'policies/five-calls-a-day.json');
    const five = parsePolicyFile(JSON.parse(readFileSync(policyFile, 'utf8')));
    const first = await explore(goal, five, 7, { policyFile });
    const again = await explore(goal, five, 7, { policyFile });
    expect(first?.text).toBe(again?.text);
    expect(first?.scenario.steps.at(-1)?.repeat ?? 1).toBeLessThanOrEqual(6);
    expect(first?.text).toContain(`policy: ${policyFile}`);
  });
});
