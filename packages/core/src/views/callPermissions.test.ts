import { describe, expect, it } from 'vitest';
import { commands, DAY, facts, HOUR, MINUTE, T0, WEEK } from '../test/builders.js';
import { given } from '../test/deciderSpec.js';
import { given as onEngine } from '../test/spec.js';

describe('callPermissions(): Meta’s GET /{phone_number_id}/call_permissions body', () => {
  it('has exactly Meta’s shape and key order: a fresh pair', () => {
    const body = given([]).at(T0).view();
    expect(JSON.stringify(body)).toBe(
      JSON.stringify({
        messaging_product: 'whatsapp',
        permission: { status: 'no_permission' },
        actions: [
          {
            action_name: 'send_call_permission_request',
            can_perform_action: true,
            limits: [
              { time_period: 'PT24H', max_allowed: 1, current_usage: 0 },
              { time_period: 'P7D', max_allowed: 2, current_usage: 0 },
            ],
          },
          {
            action_name: 'start_call',
            can_perform_action: false,
            limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }],
          },
        ],
      }),
    );
  });

  it('has exactly Meta’s shape: a temporary permission, a request today, 100 connected calls today', () => {
    // Meta's sample (24h usage 0, 7d usage 1, 100 calls today) cannot happen as such: the connected calls
    // would have reset the request counters. Here the request follows the calls.
    const E = 1_767_772_800;
    const calls = Array.from({ length: 100 }, (_, i) =>
      facts.callConnected({ at: T0 + 2 * HOUR + i * MINUTE, callId: `wacid.C${i}` }),
    );
    const g = given([
      facts.permissionGranted({ at: T0 - 2 * DAY, expiresAt: E }),
      ...calls,
      facts.requestSent({ at: T0 + 5 * HOUR, requestId: 'wamid.A' }),
    ]);
    const body = g.at(T0 + 6 * HOUR).view();
    expect(JSON.stringify(body)).toBe(
      JSON.stringify({
        messaging_product: 'whatsapp',
        permission: { status: 'temporary', expiration_time: E },
        actions: [
          {
            action_name: 'send_call_permission_request',
            can_perform_action: false,
            limits: [
              {
                time_period: 'PT24H',
                max_allowed: 1,
                current_usage: 1,
                limit_expiration_time: T0 + 5 * HOUR + DAY,
              },
              { time_period: 'P7D', max_allowed: 2, current_usage: 1 },
            ],
          },
          {
            action_name: 'start_call',
            can_perform_action: false,
            limits: [
              {
                time_period: 'PT24H',
                max_allowed: 100,
                current_usage: 100,
                limit_expiration_time: T0 + 2 * HOUR + DAY,
              },
            ],
          },
        ],
      }),
    );
  });

  it('permanent: no expiration_time', () => {
    const body = given([facts.permissionGranted({ at: T0, permanent: true })])
      .at(T0 + WEEK)
      .view();
    expect(Object.keys(body.permission)).toEqual(['status']);
    expect(body.permission.status).toBe('permanent');
  });
});

describe('"`limit_expiration_time` (Unix seconds) appears only when the limit is exhausted"', () => {
  it('absent while usage is under the limit, present from the instant it is reached, gone when it frees', () => {
    const g = given([facts.requestSent({ at: T0, requestId: 'wamid.A' })]);
    expect(g.at(T0 - 1).action('send_call_permission_request').limits).toEqual([
      { time_period: 'PT24H', max_allowed: 1, current_usage: 0 },
      { time_period: 'P7D', max_allowed: 2, current_usage: 0 },
    ]);
    expect(g.at(T0).action('send_call_permission_request')).toEqual({
      action_name: 'send_call_permission_request',
      can_perform_action: false,
      limits: [
        { time_period: 'PT24H', max_allowed: 1, current_usage: 1, limit_expiration_time: T0 + DAY },
        { time_period: 'P7D', max_allowed: 2, current_usage: 1 },
      ],
    });
    expect(g.at(T0 + DAY).action('send_call_permission_request')).toEqual({
      action_name: 'send_call_permission_request',
      can_perform_action: true,
      limits: [
        { time_period: 'PT24H', max_allowed: 1, current_usage: 0 },
        { time_period: 'P7D', max_allowed: 2, current_usage: 1 },
      ],
    });
  });

  it('with two sends in the week, the 7-day limit names the first send’s exit', () => {
    const g = given([
      facts.requestSent({ at: T0, requestId: 'wamid.A' }),
      facts.requestSent({ at: T0 + 2 * DAY, requestId: 'wamid.B' }),
    ]);
    expect(g.at(T0 + 4 * DAY).action('send_call_permission_request').limits).toEqual([
      { time_period: 'PT24H', max_allowed: 1, current_usage: 0 },
      { time_period: 'P7D', max_allowed: 2, current_usage: 2, limit_expiration_time: T0 + WEEK },
    ]);
  });
});

describe('the view and the guard never disagree', () => {
  it('can_perform_action is what a command at the same instant would get', async () => {
    const history = [
      facts.permissionGranted({ at: T0 }),
      facts.requestSent({ at: T0 + HOUR, requestId: 'wamid.A' }),
    ];
    const viewed = onEngine(history);
    for (const at of [
      T0 + HOUR - 1,
      T0 + HOUR,
      T0 + HOUR + DAY - 1,
      T0 + HOUR + DAY,
      T0 + WEEK - 1,
      T0 + WEEK,
    ]) {
      const view = await viewed.at(at).view();
      // A fresh engine per instant, knowing what was known then: a command accepted here must not change the
      // next instant's answer.
      const engine = await onEngine(history.filter((f) => f.at <= at)).engine();
      const request = await engine.execute(commands.sendRequest({ requestId: `wamid.Q${at}` }), at);
      const call = await engine.execute(commands.startCall({ callId: `wacid.Q${at}` }), at);
      expect(view.actions.map((a) => a.can_perform_action)).toEqual([request.ok, call.ok]);
    }
  });
});
