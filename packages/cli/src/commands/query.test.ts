import { T0 } from '@callpermit/testing';
import { describe, expect, it } from 'vitest';
import { captureFile, cli } from '../test/harness.js';
import {
  BUSINESS,
  callConnect,
  callStatus,
  callTerminate,
  createTemplate,
  getPermissions,
  reply,
  sendFreeForm,
  sendTemplate,
  settings,
  status,
  USER,
  userText,
} from '../test/wire.js';

const WEEK = 604_800;
const DAY = 86_400;

/** Runs a query command over a capture file (the lines, or a file already written) for the test pair. */
function query(command: 'state' | 'requests', capture: string[] | string, at: number, extra: string[] = []) {
  const file = typeof capture === 'string' ? capture : captureFile(capture);
  return cli([command, '--from', file, '--business', BUSINESS, '--user', USER, '--at', String(at), ...extra]);
}

async function state(lines: string[], at: number, extra: string[] = []) {
  const run = await query('state', lines, at, extra);
  expect(run.code, run.stderr).toBe(0);
  return run.json() as {
    permission: { status: string; expiration_time?: number };
    actions: { action_name: string; can_perform_action: boolean; limits: Record<string, unknown>[] }[];
  };
}

async function requests(lines: string[], at: number) {
  const run = await query('requests', lines, at);
  expect(run.code, run.stderr).toBe(0);
  return run.json() as Record<string, unknown>[];
}

const action = (body: Awaited<ReturnType<typeof state>>, name: string) =>
  body.actions.find((a) => a.action_name === name) as (typeof body.actions)[number];

/** A free-form request inside the customer-service window, delivered, then answered. */
function requested(answer: Parameters<typeof reply>[2] | null): string[] {
  const lines = [
    userText('wamid.IN1', T0),
    sendFreeForm('wamid.REQ1', T0 + 10),
    status('wamid.REQ1', 'sent', T0 + 11),
    status('wamid.REQ1', 'delivered', T0 + 12),
  ];
  if (answer) lines.push(reply('wamid.REP1', T0 + 100, answer));
  return lines;
}

describe('callpermit state: the six call_permission_reply scenarios (reference §4)', () => {
  it('1. a temporary approval from a request message holds for 7 days from approval', async () => {
    const lines = requested({
      response: 'accept',
      context: 'wamid.REQ1',
      permanent: false,
      expiration: T0 + 100 + WEEK,
      source: 'user_action',
    });
    const body = await state(lines, T0 + 200);
    expect(body).toEqual({
      messaging_product: 'whatsapp',
      permission: { status: 'temporary', expiration_time: T0 + 100 + WEEK },
      actions: [
        {
          action_name: 'send_call_permission_request',
          can_perform_action: false,
          limits: [
            { time_period: 'PT24H', max_allowed: 1, current_usage: 1, limit_expiration_time: T0 + 10 + DAY },
            { time_period: 'P7D', max_allowed: 2, current_usage: 1 },
          ],
        },
        {
          action_name: 'start_call',
          can_perform_action: true,
          limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }],
        },
      ],
    });
    expect((await state(lines, T0 + 100 + WEEK - 1)).permission.status).toBe('temporary');
    expect((await state(lines, T0 + 100 + WEEK)).permission).toEqual({ status: 'no_permission' });
    expect(await requests(lines, T0 + 200)).toEqual([
      {
        id: 'wamid.REQ1',
        state: 'accepted',
        channel: 'free_form',
        sent_at: T0 + 10,
        delivered_at: T0 + 12,
        answered_at: T0 + 100,
        expires_at: T0 + 100 + WEEK,
      },
    ]);
  });

  it('2. a permanent approval from a request message never expires and refuses new requests', async () => {
    const lines = requested({
      response: 'accept',
      context: 'wamid.REQ1',
      permanent: true,
      source: 'user_action',
    });
    const body = await state(lines, T0 + 400 * DAY);
    expect(body.permission).toEqual({ status: 'permanent' });
    expect(action(body, 'send_call_permission_request').can_perform_action).toBe(false);
    expect(action(body, 'start_call').can_perform_action).toBe(true);
  });

  it('3. a permanent approval from the business profile (no context) grants without any request', async () => {
    const body = await state(
      [reply('wamid.REP1', T0, { response: 'accept', permanent: true, source: 'user_action' })],
      T0 + 5,
    );
    expect(body.permission).toEqual({ status: 'permanent' });
    expect(
      await requests([reply('wamid.REP1', T0, { response: 'accept', permanent: true })], T0 + 5),
    ).toEqual([]);
  });

  it('4. a decline leaves no permission, and the user can still accept from the same message until it expires', async () => {
    const declined = requested({ response: 'reject', context: 'wamid.REQ1', source: 'user_action' });
    expect((await state(declined, T0 + 200)).permission).toEqual({ status: 'no_permission' });
    expect((await requests(declined, T0 + 200))[0]).toMatchObject({
      state: 'declined',
      answered_at: T0 + 100,
      expires_at: T0 + 100 + WEEK,
    });
    const changed = [
      ...declined,
      reply('wamid.REP2', T0 + 3 * DAY, {
        response: 'accept',
        context: 'wamid.REQ1',
        permanent: false,
        expiration: T0 + 3 * DAY + WEEK,
      }),
    ];
    expect((await state(changed, T0 + 3 * DAY + 1)).permission.status).toBe('temporary');
    expect((await requests(changed, T0 + 3 * DAY + 1))[0]).toMatchObject({
      state: 'accepted',
      answered_at: T0 + 3 * DAY,
    });
    expect((await requests(declined, T0 + 100 + WEEK))[0]).toMatchObject({ state: 'expired' });
  });

  it('5. an automatic callback grant when the user calls (string expiration_timestamp)', async () => {
    const lines = [
      callConnect('wacid.IN1', T0, 'USER_INITIATED'),
      reply('wamid.REP1', T0 + 1, {
        response: 'accept',
        context: 'wacid.IN1',
        permanent: false,
        expiration: String(T0 + 1 + WEEK),
        source: 'automatic',
      }),
    ];
    expect((await state(lines, T0 + 10)).permission).toEqual({
      status: 'temporary',
      expiration_time: T0 + 1 + WEEK,
    });
  });

  it('6. an automatic revoke after 4 consecutive unanswered calls, also when its webhook never comes', async () => {
    const granted = [reply('wamid.REP1', T0, { response: 'accept', permanent: true, source: 'user_action' })];
    const missed = [1, 2, 3, 4].map((i) => callTerminate(`wacid.B${i}`, T0 + i * 3600, 'BUSINESS_INITIATED'));
    expect((await state([...granted, ...missed.slice(0, 3)], T0 + 5 * 3600)).permission.status).toBe(
      'permanent',
    );
    expect((await state([...granted, ...missed], T0 + 5 * 3600)).permission).toEqual({
      status: 'no_permission',
    });
    const withWebhook = [
      ...granted,
      ...missed,
      reply('wamid.REP2', T0 + 4 * 3600 + 5, { response: 'reject', source: 'automatic' }),
    ];
    expect((await state(withWebhook, T0 + 5 * 3600)).permission).toEqual({ status: 'no_permission' });
  });
});

describe('callpermit state: calls (reference §5)', () => {
  const granted = reply('wamid.REP1', T0, { response: 'accept', permanent: true, source: 'user_action' });

  it('a terminate with start_time counts as connected even with status FAILED; an ACCEPTED status counts too', async () => {
    const lines = [
      granted,
      callTerminate('wacid.C1', T0 + 500, 'BUSINESS_INITIATED', { start: T0 + 100, duration: 60 }, 'FAILED'),
      callStatus('wacid.C2', 'ACCEPTED', T0 + 1000),
    ];
    const body = await state(lines, T0 + 2000);
    expect(action(body, 'start_call').limits).toEqual([
      { time_period: 'PT24H', max_allowed: 100, current_usage: 2 },
    ]);
    expect(action(await state(lines, T0 + 100 + DAY), 'start_call').limits[0]).toMatchObject({
      current_usage: 1,
    });
  });

  it('the same call seen as ACCEPTED and as a terminate with start_time counts once', async () => {
    const lines = [
      granted,
      callStatus('wacid.C1', 'ACCEPTED', T0 + 105),
      callTerminate('wacid.C1', T0 + 500, 'BUSINESS_INITIATED', { start: T0 + 100, duration: 60 }),
    ];
    expect(action(await state(lines, T0 + 600), 'start_call').limits[0]).toMatchObject({ current_usage: 1 });
  });

  it('rejected and unanswered calls count toward the streak; a connected call resets it', async () => {
    const lines = [
      granted,
      callStatus('wacid.B1', 'REJECTED', T0 + 100),
      callTerminate('wacid.B1', T0 + 101, 'BUSINESS_INITIATED'),
      callTerminate('wacid.B2', T0 + 200, 'BUSINESS_INITIATED'),
      callTerminate('wacid.B3', T0 + 300, 'BUSINESS_INITIATED'),
      callTerminate('wacid.OK', T0 + 450, 'BUSINESS_INITIATED', { start: T0 + 400, duration: 30 }),
      callTerminate('wacid.B4', T0 + 500, 'BUSINESS_INITIATED'),
    ];
    expect((await state(lines, T0 + 600)).permission.status).toBe('permanent');
    const noReset = lines.filter((l) => !l.includes('wacid.OK'));
    expect((await state(noReset, T0 + 600)).permission.status).toBe('no_permission');
  });

  it('a connected call resets the request limits, in either direction', async () => {
    const lines = [
      ...requested(null),
      callTerminate('wacid.U1', T0 + 300, 'USER_INITIATED', { start: T0 + 200, duration: 30 }),
    ];
    const before = action(await state(lines.slice(0, -1), T0 + 400), 'send_call_permission_request');
    expect(before.limits[0]).toMatchObject({ current_usage: 1 });
    const after = action(await state(lines, T0 + 400), 'send_call_permission_request');
    expect(after.limits[0]).toMatchObject({ current_usage: 0 });
    expect(after.can_perform_action).toBe(true);
  });
});

describe('callpermit: arrival order, duplicates, webhooks-only histories, refused sends', () => {
  const history = [
    createTemplate('order_call', T0 - 100),
    sendTemplate('wamid.T1', 'order_call', T0),
    status('wamid.T1', 'sent', T0 + 1),
    status('wamid.T1', 'read', T0 + 30),
    reply('wamid.REP1', T0 + 60, {
      response: 'accept',
      context: 'wamid.T1',
      permanent: false,
      expiration: T0 + 60 + WEEK,
      source: 'user_action',
    }),
    callStatus('wacid.C1', 'ACCEPTED', T0 + 2 * DAY),
    callTerminate('wacid.C2', T0 + 3 * DAY, 'BUSINESS_INITIATED'),
  ];

  it('the answer does not depend on arrival order or on duplicates', async () => {
    const at = T0 + 3 * DAY + 10;
    const expected = await state(history, at);
    expect(expected.permission.status).toBe('temporary');
    // Template knowledge must precede the send it classifies; everything else is shuffled and duplicated.
    const [template, ...rest] = history;
    const shuffled = [template as string, ...[...rest].reverse(), ...rest, rest[2] as string];
    expect(await state(shuffled, at)).toEqual(expected);
    expect(await requests(shuffled, at)).toEqual(await requests(history, at));
  });

  it('read without delivered counts as delivered; the template channel is known from the template', async () => {
    expect((await requests(history, T0 + 100))[0]).toMatchObject({
      channel: 'template',
      delivered_at: T0 + 30,
      state: 'accepted',
    });
  });

  it('a history of webhooks alone reveals the request from the reply that names it', async () => {
    const webhooksOnly = [
      status('wamid.X', 'sent', T0),
      status('wamid.X', 'delivered', T0 + 5),
      status('wamid.OTHER', 'sent', T0 + 6),
      reply('wamid.REP1', T0 + 50, { response: 'reject', context: 'wamid.X', source: 'user_action' }),
    ];
    expect(await requests(webhooksOnly, T0 + 60)).toEqual([
      {
        id: 'wamid.X',
        state: 'declined',
        channel: 'unknown',
        sent_at: T0,
        delivered_at: T0 + 5,
        answered_at: T0 + 50,
        expires_at: T0 + 50 + WEEK,
      },
    ]);
    const body = await state(webhooksOnly, T0 + 60);
    expect(action(body, 'send_call_permission_request').limits[0]).toMatchObject({ current_usage: 1 });
  });

  it('a send Meta refused (non-2xx) did not happen and does not count', async () => {
    const lines = [userText('wamid.IN1', T0), sendFreeForm('wamid.NO', T0 + 10, 400)];
    const body = await state(lines, T0 + 20);
    expect(action(body, 'send_call_permission_request')).toMatchObject({ can_perform_action: true });
    expect(action(body, 'send_call_permission_request').limits[0]).toMatchObject({ current_usage: 0 });
    expect(await requests(lines, T0 + 20)).toEqual([]);
  });

  it('callback setting on: a user call alone grants temporary permission', async () => {
    const lines = [settings('ENABLED', T0 - 10), callConnect('wacid.IN1', T0, 'USER_INITIATED')];
    expect((await state(lines, T0 + 1)).permission).toEqual({
      status: 'temporary',
      expiration_time: T0 + WEEK,
    });
    expect((await state([settings('DISABLED', T0 - 10), lines[1] as string], T0 + 1)).permission.status).toBe(
      'no_permission',
    );
  });
});

describe("callpermit state: Meta's GET call_permissions wins", () => {
  it('accepts the documented vocabulary and shows where ours differed', async () => {
    const lines = [
      getPermissions(T0, {
        messaging_product: 'whatsapp',
        permission: { status: 'temporary', expiration_time: T0 + 1000 },
        actions: [
          {
            action_name: 'start_call',
            can_perform_action: true,
            limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 3 }],
          },
        ],
      }),
    ];
    const run = await query('state', lines, T0 + 10);
    expect(run.code).toBe(0);
    expect((run.json() as { permission: unknown }).permission).toEqual({
      status: 'temporary',
      expiration_time: T0 + 1000,
    });
    expect(run.stderr).toMatch(/permission\.status = temporary, callpermit had no_permission; Meta wins/);
    expect(run.stderr).toMatch(/current_usage = 3, callpermit had 0/);
  });

  it('notes an answer the request could not take: an accept after the request expired (it still grants)', async () => {
    const late = T0 + 12 + WEEK + DAY;
    const lines = [
      ...requested(null),
      reply('wamid.REP1', late, { response: 'accept', context: 'wamid.REQ1', expiration: late + WEEK }),
    ];
    const run = await query('state', lines, late);
    expect(run.code).toBe(0);
    expect((run.json() as { permission: unknown }).permission).toEqual({
      status: 'temporary',
      expiration_time: late + WEEK,
    });
    expect(run.stderr).toContain(
      `note: at ${late} an answer made request.wamid.REQ1.lifecycle accepted, but the request was expired and stays so`,
    );
  });

  it("accepts the OpenAPI vocabulary ('granted', '24h', limits: null)", async () => {
    const lines = [
      getPermissions(T0, {
        messaging_product: 'whatsapp',
        permission: { status: 'granted' },
        actions: [{ action_name: 'start_call', can_perform_action: true, limits: null }],
      }),
    ];
    expect((await state(lines, T0 + 10)).permission).toEqual({ status: 'permanent' });
    const denied = [getPermissions(T0, { permission: { status: 'denied' }, actions: [] })];
    expect(
      (await state([reply('wamid.R', T0 - 5, { response: 'accept', permanent: true }), ...denied], T0 + 10))
        .permission,
    ).toEqual({
      status: 'no_permission',
    });
  });
});

describe('callpermit: bad input and bad invocations', () => {
  const good = reply('wamid.REP1', T0, { response: 'accept', permanent: true, source: 'user_action' });

  it('reports each bad line with its number and reason, and answers from the valid lines', async () => {
    const file = captureFile([
      good,
      '{not json',
      JSON.stringify({
        kind: 'webhook',
        received_at: 'x',
        payload: { object: 'whatsapp_business_account', entry: 'no' },
      }),
    ]);
    const run = await query('state', file, T0 + 1);
    expect(run.code).toBe(0);
    expect((run.json() as { permission: unknown }).permission).toEqual({ status: 'permanent' });
    const lines = run.stderr.split('\n');
    expect(lines.some((l) => l.startsWith(`${file}:2: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}:3: `))).toBe(true);
  });

  it('--strict makes any bad line an error (exit 2) and prints no answer', async () => {
    const file = captureFile([good, '{not json']);
    const run = await cli(['state', '--from', file, '--business', BUSINESS, '--user', USER, '--strict']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}:2: `);
  });

  it.each([
    [['state', '--from', 'x.ndjson', '--user', USER], /--business/],
    [
      ['state', '--from', '/nonexistent/capture.ndjson', '--business', BUSINESS, '--user', USER],
      /\/nonexistent\/capture\.ndjson: cannot read: ENOENT/,
    ],
    [
      ['requests', '--from', 'x', '--business', BUSINESS, '--user', USER, '--at', 'yesterday-ish'],
      /--at "yesterday-ish"/,
    ],
    [
      ['state', '--from', 'x', '--business', BUSINESS, '--user', '+44 7700 900123'],
      /callpermit: --user "\+44 7700 900123": .* a wa_id is digits only/,
    ],
    [
      ['state', '--from', 'x', '--business', 'acme', '--user', USER],
      /callpermit: --business "acme": .*digits only/,
    ],
    [
      ['state', '--from', 'x', '--business', BUSINESS, '--user', USER, '--at', '1767168000000'],
      /callpermit: --at "1767168000000": .*looks like milliseconds/,
    ],
  ])('%j fails with one clear line', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('callpermit --help', () => {
  it.each([[[]], [['state']], [['requests']], [['replay']], [['rebuild']]])(
    '%j --help explains the options and exits 0',
    async (args) => {
      const run = await cli([...args, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: callpermit/);
      if (args.length > 0) expect(run.stdout).toContain('--');
      else
        for (const command of ['state', 'requests', 'replay', 'rebuild'])
          expect(run.stdout).toContain(command);
    },
  );
});
