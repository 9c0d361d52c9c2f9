import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { readCaptureLines } from '@callpermit/cloud-api';
import { defaultPolicyBook, policyBook } from '@callpermit/core';
import { facts as build, factHistoryArb, policyArb, testPair, WEEK } from '@callpermit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePolicies, totalCounts } from './compare.js';
import { historyOfCapture, historyOfSimulation } from './history.js';
import { parseScenario } from './scenario/read.js';
import { simulate } from './simulator.js';
import { EXAMPLES } from './test/examples.js';

const fiveADay = policyBook({ connectedCallLimits: [{ periodSeconds: 86400, maxAllowed: 5 }] });
const tenADay = policyBook({ connectedCallLimits: [{ periodSeconds: 86400, maxAllowed: 10 }] });

const sixCalls = `scenario: six connected calls in an afternoon
start: 2026-01-05T09:00:00Z
steps:
  - do: grant
    permanent: true
  - do: call
    repeat: 6
    every: 10m
    duration: 1m
`;

describe('compare', () => {
  it('a policy compared with itself never diverges and refuses the same actions', () => {
    fc.assert(
      fc.property(factHistoryArb({ span: 2 * WEEK, maxLength: 30 }), policyArb, (facts, policy) => {
        const actions = facts.flatMap((f) =>
          f.type === 'CallAttempted'
            ? [
                {
                  at: f.at,
                  pair: f.pair,
                  command: { type: 'StartCall' as const, pair: f.pair, callId: f.callId },
                  factKey: f.key,
                  source: f.key,
                },
              ]
            : [],
        );
        const book = policyBook(policy);
        const [only] = comparePolicies({ facts, actions, badInput: [] }, book, book);
        if (!only) return;
        expect(only.firstDivergence).toBeUndefined();
        expect(only.calls.onlyARefuses + only.calls.onlyBRefuses).toBe(0);
        expect(only.calls.refusedByA).toBe(only.calls.refusedByB);
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('reads the business settings as the Engine does: a call while calling is off is refused with 138000 on both sides', () => {
    const at = 1_767_600_000;
    const history = {
      facts: [
        build.permissionGranted({ at, permanent: true }),
        build.callingSettingChanged({ at: at + 10, enabled: false }),
      ],
      actions: [
        {
          at: at + 20,
          pair: testPair,
          command: { type: 'StartCall' as const, pair: testPair, callId: 'wacid.OFF' },
          source: 'refused call',
        },
      ],
      badInput: [],
    };
    const [pair] = comparePolicies(history, fiveADay, tenADay);
    expect(pair?.calls).toEqual({ total: 1, refusedByA: 1, refusedByB: 1, onlyBRefuses: 0, onlyARefuses: 0 });
  });

  it('5 vs 10 calls a day: they part when the fifth call connects; the sixth is refused only under 5', async () => {
    const sim = await simulate(parseScenario(sixCalls, 'six.yaml'), { policy: tenADay });
    const [pair] = comparePolicies(historyOfSimulation(sim), fiveADay, tenADay);
    const fifth = sim.actions[4]?.at as number;
    expect(pair?.calls).toEqual({ total: 6, refusedByA: 1, refusedByB: 0, onlyBRefuses: 0, onlyARefuses: 1 });
    expect(pair?.firstDivergence?.at).toBe(fifth);
    expect(pair?.firstDivergence?.cause).toMatch(/^the facts at this instant: .*CallConnected/);
    expect(pair?.firstDivergence?.a.callPermissions.actions[1]?.can_perform_action).toBe(false);
    expect(pair?.firstDivergence?.b.callPermissions.actions[1]?.can_perform_action).toBe(true);
    // The other way round, the decision on the sixth call is where they part first if A is the laxer.
    const [reverse] = comparePolicies(historyOfSimulation(sim), tenADay, fiveADay);
    expect(reverse?.calls.onlyBRefuses).toBe(1);
  });

  it('time alone can part them (a window ends under one policy only); the decisions are counted too', async () => {
    const text = `scenario: two requests a day apart
steps:
  - do: send request
    request: a
  - do: send request
    request: b
    after: 1d1m
`;
    const sim = await simulate(parseScenario(text, 'r.yaml'), { policy: defaultPolicyBook });
    const oneIn48h = policyBook({ requestLimits: [{ periodSeconds: 2 * 86400, maxAllowed: 1 }] });
    const [pair] = comparePolicies(historyOfSimulation(sim), defaultPolicyBook, oneIn48h);
    expect(pair?.requests).toMatchObject({ total: 2, refusedByA: 0, refusedByB: 1, onlyBRefuses: 1 });
    const d = pair?.firstDivergence;
    expect(d?.at).toBe((sim.actions[0]?.at as number) + 86400);
    expect(d?.cause).toMatch(/^time alone/);
    expect(d?.a.callPermissions.actions[0]?.can_perform_action).toBe(true);
    expect(d?.b.callPermissions.actions[0]?.can_perform_action).toBe(false);
  });

  it('where only a decision differs, the action is the divergence', async () => {
    const text = `scenario: a free-form request outside the window
steps:
  - do: user messages
  - do: send request
    request: a
    via: free-form
    after: 2h
`;
    const sim = await simulate(parseScenario(text, 'w.yaml'), { policy: defaultPolicyBook });
    const shortWindow = policyBook({ customerServiceWindowSeconds: 3600 });
    const [pair] = comparePolicies(historyOfSimulation(sim), defaultPolicyBook, shortWindow);
    const d = pair?.firstDivergence;
    expect(d?.at).toBe(sim.actions[0]?.at);
    expect(d?.cause).toBe('free-form permission request (w.yaml step 2 (a))');
    expect(d?.a.decision).toEqual({ action: 'send_call_permission_request', allowed: true });
    expect(d?.b.decision?.refusal?.code).toBe(131047);
  });

  it('a capture: its logged Graph calls are the actions; a summary over every pair', async () => {
    const file = join(EXAMPLES, 'capture.ndjson');
    const history = await historyOfCapture('capture.ndjson', readCaptureLines(createReadStream(file)));
    expect(history.badInput).toEqual([]);
    expect(history.actions.map((a) => a.command.type).sort()).toEqual([
      'SendPermissionRequest',
      'SendPermissionRequest',
      'StartCall',
      'StartCall',
    ]);
    const pairs = comparePolicies(history, fiveADay, defaultPolicyBook);
    expect(pairs.map((p) => p.pair.user)).toEqual(['447700900123', '447700900456']);
    expect(totalCounts(pairs)).toEqual({
      requests: { total: 2, refusedByA: 0, refusedByB: 0, onlyBRefuses: 0, onlyARefuses: 0 },
      calls: { total: 2, refusedByA: 0, refusedByB: 0, onlyBRefuses: 0, onlyARefuses: 0 },
    });
    expect(pairs.every((p) => p.pair.business === testPair.business && !p.firstDivergence)).toBe(true);
  });
});
