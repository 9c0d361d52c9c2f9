// The timeline is the Engine's answers drawn over time: at any instant, what the model shows is what the
// engine says at that instant.
import { Engine, MemoryFactStore, policyBook } from '@callpermit/core';
import { factHistoryArb, policyArb, T0, testPair, WEEK } from '@callpermit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTimeline, type TimelineModel } from './model.js';
import { historyOf, pair } from './test/histories.js';

/** What the model shows at instant t. */
function shown(model: TimelineModel, t: number) {
  const band = model.permission.find((b) => b.from <= t && t < b.to) ?? model.permission.at(-1);
  const usage = Object.fromEntries(
    model.usage.map((u) => [`${u.action}:${u.period}`, [...u.points].reverse().find((p) => p.at <= t)?.used]),
  );
  const requests: Record<string, string> = {};
  for (const r of model.requests) {
    const seg = r.segments.find((s) => s.from <= t && t < s.to);
    if (seg) requests[r.id] = seg.state;
    else if (r.ended && t >= r.ended.at) requests[r.id] = r.ended.state;
  }
  return { status: band?.status, expiresAt: band?.expiresAt, usage, requests };
}

async function engineSays(engine: Engine, t: number, model: TimelineModel) {
  const view = await engine.callPermissions(testPair, t);
  const usage: Record<string, number> = {};
  for (const a of view.actions)
    for (const l of a.limits) usage[`${a.action_name}:${l.time_period}`] = l.current_usage;
  const requests: Record<string, string> = {};
  const listed = new Set(model.requests.map((r) => r.id));
  for (const r of await engine.requests(testPair, t))
    if (listed.has(r.id) && (r.sent_at ?? t) <= t) requests[r.id] = r.state;
  return {
    status: view.permission.status === 'no_permission' ? 'none' : view.permission.status,
    expiresAt: view.permission.expiration_time,
    usage,
    requests,
  };
}

describe('the timeline model', () => {
  it('shows, at any instant, what the engine answers at that instant', async () => {
    await fc.assert(
      fc.asyncProperty(
        factHistoryArb({ span: 2 * WEEK, maxLength: 25 }),
        policyArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
        async (history, policy, picks) => {
          const engine = new Engine(new MemoryFactStore(), { policy: policyBook(policy) });
          await engine.ingest(history);
          const model = await buildTimeline({ engine, pair: testPair, since: T0, until: T0 + 3 * WEEK });
          for (const p of picks) {
            const t = T0 + Math.floor(p * 3 * WEEK);
            expect(shown(model, t), `at ${t}`).toEqual(await engineSays(engine, t, model));
          }
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });

  it('a week: bands with the expiry, request bars, each call once with its outcome, notices, refusals', async () => {
    const h = await historyOf(1);
    const model = await buildTimeline({ engine: h.engine, pair, policy: h.policy, refusals: h.refusals });
    expect(model.permission.map((b) => b.status)).toEqual([
      'none',
      'temporary',
      'none',
      'permanent',
      'none',
      'temporary',
      'none',
    ]);
    expect(model.requests.map((r) => [...r.segments.map((s) => s.state), r.ended?.state])).toEqual([
      ['sent', 'delivered', 'declined', 'superseded'],
      ['sent', 'delivered', 'accepted', 'expired'],
    ]);
    const outcomes = model.calls.map((c) => `${c.direction === 'user_initiated' ? 'user' : c.outcome}`);
    expect(outcomes).toEqual([
      ...['connected', 'unanswered', 'rejected', 'connected', 'unanswered', 'rejected'],
      ...['unanswered', 'unanswered', 'unanswered', 'unanswered', 'user'],
    ]);
    // Streaks: miss, miss (prompt); connected; miss, miss (prompt), miss, miss (revoke); miss, miss (prompt).
    expect(model.notices.map((n) => n.type)).toEqual([
      'reconsider_prompted',
      'reconsider_prompted',
      'auto_revoked',
      'reconsider_prompted',
    ]);
    const expired = model.permission[5];
    expect([expired?.expiresAt, expired?.to]).toEqual([T0 + 7 * 86400, T0 + 7 * 86400]);
    expect(model.refusals.map((r) => r.code)).toEqual([138009, 138006]);
    expect(model.usage.map((u) => `${u.action} ${u.period}`)).toEqual([
      'send_call_permission_request PT24H',
      'send_call_permission_request P7D',
      'start_call PT24H',
    ]);
  });
});
