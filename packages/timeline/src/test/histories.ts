// Pair histories for the timeline's tests: a busy week with every kind of mark, and ninety days of it.
import { Engine, type Fact, MemoryFactStore, type PolicyBook, policyBook } from '@callpermit/core';
import { DAY, facts, HOUR, MINUTE, T0, testPair } from '@callpermit/testing';
import type { RefusalMark } from '../model.js';

export interface History {
  readonly engine: Engine;
  readonly policy: PolicyBook;
  readonly refusals: RefusalMark[];
  readonly facts: Fact[];
}

/** One week from `start`: a declined request, an accepted one, calls of each outcome, a revoke, an expiry. */
function week(start: number, n: number): { facts: Fact[]; refusals: RefusalMark[] } {
  const req = (k: string) => `wamid.W${n}${k}`;
  const call = (k: string) => `wacid.W${n}${k}`;
  const t = (s: number) => start + s;
  const out: Fact[] = [
    facts.userMessaged({ at: t(0) }),
    facts.requestSent({ at: t(10 * MINUTE), requestId: req('A') }),
    facts.requestDelivered({ at: t(11 * MINUTE), requestId: req('A') }),
    facts.permissionDeclined({ at: t(HOUR), requestId: req('A') }),
    facts.requestSent({ at: t(DAY + HOUR), requestId: req('B') }),
    facts.requestDelivered({ at: t(DAY + HOUR + 5), requestId: req('B') }),
    facts.permissionGranted({ at: t(DAY + 3 * HOUR), requestId: req('B') }),
  ];
  for (let i = 0; i < 6; i++) {
    const at = t(2 * DAY + i * 2 * HOUR);
    out.push(facts.callAttempted({ at, callId: call(`C${i}`) }));
    const outcome = i % 3;
    if (outcome === 0) out.push(facts.callConnected({ at: at + 5, callId: call(`C${i}`) }));
    else if (outcome === 1) out.push(facts.callUnanswered({ at: at + 30, callId: call(`C${i}`) }));
    else out.push(facts.callRejected({ at: at + 10, callId: call(`C${i}`) }));
  }
  for (let i = 0; i < 4; i++) {
    const at = t(3 * DAY + i * HOUR);
    out.push(
      facts.callAttempted({ at, callId: call(`M${i}`) }),
      facts.callUnanswered({ at: at + 30, callId: call(`M${i}`) }),
    );
  }
  out.push(facts.userCalled({ at: t(4 * DAY), callId: call('U') }));
  out.push(facts.callConnected({ at: t(4 * DAY), callId: call('U'), direction: 'user_initiated' }));
  out.push(facts.permissionGranted({ at: t(5 * DAY), permanent: true }));
  out.push(facts.permissionRevoked({ at: t(6 * DAY) }));
  // A grant with Meta's own expiration_timestamp, a day later: it runs out inside the week.
  out.push(facts.permissionGranted({ at: t(6 * DAY + 12 * HOUR), expiresAt: t(7 * DAY) }));
  const refusals: RefusalMark[] = [
    {
      at: t(20 * MINUTE),
      action: 'send_call_permission_request',
      code: 138009,
      title: 'Call permission request limit reached',
    },
    {
      at: t(3 * DAY + 5 * HOUR),
      action: 'start_call',
      code: 138006,
      title: 'No approved call permission from the recipient',
    },
  ];
  return { facts: out, refusals };
}

export async function historyOf(weeks: number): Promise<History> {
  const policy = policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 5 }] });
  const engine = new Engine(new MemoryFactStore(), { policy });
  const all: Fact[] = [];
  const refusals: RefusalMark[] = [];
  for (let w = 0; w < weeks; w++) {
    const one = week(T0 + w * 7 * DAY, w);
    all.push(...one.facts);
    refusals.push(...one.refusals);
  }
  await engine.ingest(all);
  return { engine, policy, refusals, facts: all };
}

export const pair = testPair;
