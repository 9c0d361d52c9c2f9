import { defaultPolicy, policyFor } from '@callpermit/core';
import { describe, expect, it } from 'vitest';
import { PolicyFileError, parsePolicyFile } from '../index.js';

const OCT_13 = Date.UTC(2025, 9, 13) / 1000;
const NOV_13 = Date.UTC(2025, 10, 13) / 1000;
const SANDBOX = '109876543210987';
const OTHER = '100000000000001';

function refusal(json: unknown): { path: string; reason: string } {
  try {
    parsePolicyFile(json);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyFileError);
    const { path, reason } = error as PolicyFileError;
    return { path, reason };
  }
  throw new Error('expected a PolicyFileError');
}

describe('the policy file', () => {
  it('an empty file is the default policy', () => {
    const book = parsePolicyFile({});
    expect(policyFor(book, OTHER)(NOV_13)).toEqual(defaultPolicy);
  });

  it('any subset of keys overrides the defaults, limits as ISO-8601 durations', () => {
    const book = parsePolicyFile({
      temporary_grant_seconds: 259200,
      request_limits: [{ time_period: 'PT24H', max_allowed: 2 }],
      unanswered_revoke_at: 5,
    });
    expect(policyFor(book, OTHER)(NOV_13)).toEqual({
      ...defaultPolicy,
      temporaryGrantSeconds: 259200,
      requestLimits: [{ periodSeconds: 86400, maxAllowed: 2 }],
      unansweredRevokeAt: 5,
    });
  });

  it('eras change values from their effective instant on (ISO date or Unix seconds)', () => {
    const book = parsePolicyFile({
      connected_call_limits: [{ time_period: 'PT24H', max_allowed: 5 }],
      eras: [
        { effective_from: '2025-10-13', connected_call_limits: [{ time_period: 'PT24H', max_allowed: 10 }] },
        { effective_from: NOV_13, connected_call_limits: [{ time_period: 'P1D', max_allowed: 100 }] },
      ],
    });
    const at = policyFor(book, OTHER);
    expect(at(OCT_13 - 1).connectedCallLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 5 }]);
    expect(at(OCT_13).connectedCallLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 10 }]);
    expect(at(NOV_13).connectedCallLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 100 }]);
  });

  it("a business's own values beat global eras at every instant; other keys follow the global eras", () => {
    const book = parsePolicyFile({
      connected_call_limits: [{ time_period: 'PT24H', max_allowed: 5 }],
      eras: [
        {
          effective_from: '2025-10-13T00:00:00Z',
          connected_call_limits: [{ time_period: 'PT24H', max_allowed: 10 }],
          unanswered_revoke_at: 6,
        },
      ],
      businesses: {
        [SANDBOX]: {
          connected_call_limits: [{ time_period: 'PT24H', max_allowed: 100 }],
          eras: [
            { effective_from: '2025-11-13', request_limits: [{ time_period: 'PT24H', max_allowed: 25 }] },
          ],
        },
      },
    });
    const sandbox = policyFor(book, SANDBOX);
    const other = policyFor(book, OTHER);
    expect(sandbox(OCT_13 - 1).connectedCallLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 100 }]);
    expect(sandbox(OCT_13).connectedCallLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 100 }]);
    expect(sandbox(OCT_13).unansweredRevokeAt).toBe(6);
    expect(sandbox(OCT_13).requestLimits).toEqual(defaultPolicy.requestLimits);
    expect(sandbox(NOV_13).requestLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 25 }]);
    expect(sandbox(NOV_13).connectedCallLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 100 }]);
    expect(other(OCT_13).connectedCallLimits).toEqual([{ periodSeconds: 86400, maxAllowed: 10 }]);
    expect(other(NOV_13).requestLimits).toEqual(defaultPolicy.requestLimits);
  });

  it('refuses unknown keys, naming them and where they are', () => {
    expect(refusal({ temporary_grant_hours: 168 })).toEqual({
      path: '',
      reason: 'unknown key "temporary_grant_hours"',
    });
    expect(
      refusal({ businesses: { [SANDBOX]: { eras: [{ effective_from: '2026-01-01', maxAllowed: 1 }] } } }),
    ).toEqual({
      path: `businesses["${SANDBOX}"].eras[0]`,
      reason: 'unknown key "maxAllowed"',
    });
    expect(refusal({ eras: [{ effective_from: '2026-01-01', businesses: {} }] })).toEqual({
      path: 'eras[0]',
      reason: 'unknown key "businesses"',
    });
  });

  it('refuses bad values with their path and reason', () => {
    expect(
      refusal({
        request_limits: [
          { time_period: 'PT24H', max_allowed: 1 },
          { time_period: '7 days', max_allowed: 2 },
        ],
      }),
    ).toEqual({
      path: 'request_limits[1].time_period',
      reason: '"7 days" is not an ISO-8601 duration (PT24H, P7D)',
    });
    expect(refusal({ unanswered_revoke_at: 0 })).toMatchObject({ path: 'unanswered_revoke_at' });
    expect(refusal({ eras: [{ connected_call_limits: [] }] })).toEqual({
      path: 'eras[0].effective_from',
      reason: 'missing (expected an ISO-8601 instant or Unix seconds)',
    });
    expect(refusal({ eras: [{ effective_from: '2025-13-01' }] })).toEqual({
      path: 'eras[0].effective_from',
      reason: '"2025-13-01" is not a valid date-time',
    });
    expect(refusal([])).toMatchObject({ path: '' });
  });

  it('the message of the error names the path too', () => {
    expect(() => parsePolicyFile({ request_expiry_seconds: 'week' })).toThrow(
      /^policy file: request_expiry_seconds: /,
    );
  });
});
