import { defaultPolicyBook, policyBook } from '@callpermit/core';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './scenario/read.js';
import { simulate } from './simulator.js';

const run = async (text: string, policy = defaultPolicyBook) =>
  simulate(parseScenario(text, 's.yaml'), { policy });

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

describe('expecting changes: what the change feed told during a step', () => {
  const granted = `scenario: s
steps:
  - do: send request
    request: a
  - do: grant
    request: a
    at: +10m
`;

  it("reports each step's changes from the engine's feed, time-driven ones when the step passes their instant", async () => {
    const sim = await run(`${granted}  - do: wait\n    at: +7d10m\n`);
    const told = sim.steps.map((s) => (s.snapshot.changes ?? []).map((c) => `${c.kind}@${c.at - sim.start}`));
    expect(told).toEqual([
      ['request.sent@60', 'request_limit.reached@60', 'request.delivered@60'],
      ['request.accepted@600', 'permission.granted@600'],
      ['request_limit.released@86460', 'request.expired@605400', 'permission.expired@605400'],
    ]);
    // Each change is told once, with an id the feed keeps.
    const ids = sim.steps.flatMap((s) => (s.snapshot.changes ?? []).map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('passes when the list matches, kinds alone or with the values they carry', async () => {
    const sim = await run(`${granted}    expect:
      changes:
        - request.accepted
        - { kind: permission.granted, at: +10m, expires: +7d10m, via: request }
  - do: wait
    at: +7d10m
    expect:
      changes: [request_limit.released, { kind: request.expired, request: a }, permission.expired]
  - do: wait
    expect: { changes: [] }
`);
    expect(sim.steps.flatMap((s) => s.checks.filter((c) => !c.passed))).toEqual([]);
    expect(sim.steps.flatMap((s) => s.checks).map((c) => c.field)).toEqual(['changes', 'changes', 'changes']);
  });

  it('shows the difference when it does not: each change as the expectation at its place names it', async () => {
    const sim = await run(`${granted}  - do: wait
    at: +7d9m
    expect:
      changes: [{ kind: permission.expired, at: +7d10m }]
`);
    expect(sim.passed).toBe(false);
    expect(sim.steps[2]?.checks).toEqual([
      {
        path: ['changes'],
        field: 'changes',
        expected: '["permission.expired at 2026-01-12T09:10:00Z"]',
        actual: '["request_limit.released at 2026-01-06T09:01:00Z"]',
        passed: false,
      },
    ]);
    const extra = await run(`${granted}    expect: { changes: [permission.granted] }\n`);
    expect(extra.steps[1]?.checks[0]).toMatchObject({
      expected: '["permission.granted"]',
      actual: '["request.accepted","permission.granted"]',
      passed: false,
    });
  });

  it('refuses a change expectation that cannot be read, naming its line', async () => {
    await expect(run(`${granted}    expect: { changes: [permission.gone] }\n`)).rejects.toThrow(
      /^s\.yaml:8:25: steps\[1\]\.expect\.changes\[0\]: not a change: write a kind \(permission\.granted, .*\) or \{ kind/,
    );
    await expect(
      run(`${granted}    expect: { changes: [{ kind: permission.granted, at: soon }] }\n`),
    ).rejects.toThrow(/s\.yaml:8:\d+: steps\[1\]\.expect\.changes\[0\]\.at: /);
  });
});
