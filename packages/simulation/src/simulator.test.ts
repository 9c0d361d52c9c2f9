import { defaultPolicyBook, policyBook } from '@callpermit/core';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './scenario/read.js';
import { simulate } from './simulator.js';

const run = (text: string, policy = defaultPolicyBook) => simulate(parseScenario(text, 's.yaml'), { policy });

describe('the simulator', () => {
  it("turns user and Meta steps into Meta's wire bodies, and business steps into the guard's decisions and Graph exchanges", async () => {
    const sim = await run(`scenario: s
steps:
  - do: user messages
  - do: send request
    request: a
    via: free-form
  - do: grant
    request: a
  - do: call
    outcome: unanswered
`);
    const kinds = sim.facts.map((f) => `${f.type}:${f.source.kind}`);
    expect(kinds).toEqual([
      'UserMessaged:webhook',
      'RequestSent:api_call',
      'RequestSent:webhook',
      'RequestDelivered:webhook',
      'PermissionGranted:webhook',
      'CallAttempted:api_call',
      'CallUnanswered:webhook',
    ]);
    expect(sim.actions.map((a) => a.refusal?.code ?? 'allowed')).toEqual(['allowed', 'allowed']);
  });

  it('reports each failed expectation with expected and actual, and the refusal a step got', async () => {
    const sim = await run(`scenario: s
steps:
  - do: call
    expect: { allowed: true, can_call: false }
`);
    expect(sim.passed).toBe(false);
    expect(sim.steps[0]?.checks).toEqual([
      expect.objectContaining({ field: 'can_call', expected: 'false', actual: 'false', passed: true }),
      expect.objectContaining({
        field: 'allowed',
        expected: 'allowed',
        actual: 'refused 138006',
        passed: false,
      }),
    ]);
  });

  it('runs the same steps under another policy', async () => {
    const text = `scenario: s
steps:
  - do: send request
    request: a
  - do: send request
    request: b
    after: 2h
`;
    const strict = await run(text);
    const loose = await run(text, policyBook({ requestLimits: [{ periodSeconds: 3600, maxAllowed: 1 }] }));
    expect(strict.actions.map((a) => a.refusal?.code ?? 'allowed')).toEqual(['allowed', 138009]);
    expect(loose.actions.map((a) => a.refusal?.code ?? 'allowed')).toEqual(['allowed', 'allowed']);
  });

  it('refuses a step that cannot happen, naming its line: time going back, an unknown request', async () => {
    await expect(
      run(
        `scenario: s\nstart: 2026-01-05T09:00:00Z\nsteps:\n  - do: wait\n    at: +1h\n  - do: wait\n    at: +30m\n`,
      ),
    ).rejects.toThrow(/^s\.yaml:7:9: steps\[1\]\.at: .*time only moves forward/);
    await expect(run(`scenario: s\nsteps:\n  - do: grant\n    request: nope\n`)).rejects.toBeInstanceOf(
      ScenarioError,
    );
    await expect(run(`scenario: s\nsteps:\n  - do: grant\n    request: nope\n`)).rejects.toThrow(
      's.yaml:4:14: steps[0].request: no request named "nope" was sent before',
    );
  });
});
