// examples/*.yaml double as documentation: one scenario per rule of the seed, each run here and passing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicyFile } from '@callpermit/cloud-api';
import { defaultPolicyBook, policyFor } from '@callpermit/core';
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

describe("examples/policies: Meta's eras, ready to use", () => {
  const load = (name: string) =>
    parsePolicyFile(JSON.parse(readFileSync(join(EXAMPLES, 'policies', name), 'utf8')));
  const callsADay = (name: string, at: number) =>
    policyFor(
      load(name),
      '109876543210987',
    )(at).connectedCallLimits.map((l) => [l.periodSeconds, l.maxAllowed]);
  const day = (iso: string) => Date.parse(iso) / 1000;

  it('five, ten and the seed’s hundred connected calls a day', () => {
    expect(callsADay('five-calls-a-day.json', day('2025-06-01'))).toEqual([[86400, 5]]);
    expect(callsADay('ten-calls-a-day.json', day('2025-06-01'))).toEqual([[86400, 10]]);
    expect(callsADay('seed.json', day('2025-06-01'))).toEqual([[86400, 100]]);
  });

  it('meta-eras.json: 5 before 2025-10-13, 10 from then, 100 from 2025-12-03', () => {
    expect(callsADay('meta-eras.json', day('2025-10-12T23:59:59Z'))).toEqual([[86400, 5]]);
    expect(callsADay('meta-eras.json', day('2025-10-13T00:00:00Z'))).toEqual([[86400, 10]]);
    expect(callsADay('meta-eras.json', day('2025-12-02T23:59:59Z'))).toEqual([[86400, 10]]);
    expect(callsADay('meta-eras.json', day('2025-12-03T00:00:00Z'))).toEqual([[86400, 100]]);
  });
});
