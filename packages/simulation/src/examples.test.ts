// examples/*.yaml double as documentation: one scenario per rule of the seed, each run here and passing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPolicyBook } from '@callpermit/core';
import { describe, expect, it } from 'vitest';
import { loadScenario } from './load.js';
import { simulate } from './simulator.js';
import { EXAMPLES, exampleScenarios } from './test/examples.js';

describe('examples/*.yaml', () => {
  it('there is one per rule of the seed', () => {
    expect(exampleScenarios().length).toBeGreaterThanOrEqual(20);
  });

  it.each(exampleScenarios())('%s runs and every expectation passes', async (name) => {
    const file = join(EXAMPLES, name);
    const text = readFileSync(file, 'utf8');
    // Each names the sentence it shows, as a comment and as `rule`.
    expect(text).toMatch(/^# (Seed|Reference)/);
    const loaded = await loadScenario(file);
    expect(loaded.scenario.data.rule).toBeTruthy();
    const sim = await simulate(loaded.scenario, {
      policy: loaded.policy?.book ?? defaultPolicyBook,
      ...(loaded.capture ? { capture: loaded.capture } : {}),
    });
    const failed = sim.steps.flatMap((s) =>
      s.checks
        .filter((c) => !c.passed)
        .map((c) => `step ${s.index + 1} ${c.field}: ${c.expected} ≠ ${c.actual}`),
    );
    expect(failed).toEqual([]);
    expect(sim.steps.some((s) => s.checks.length > 0)).toBe(true);
    expect(sim.badInput).toEqual([]);
    expect(sim.passed).toBe(true);
  });
});
