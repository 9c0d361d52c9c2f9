// Concurrency: two `serve` instances on one PostgreSQL, many guard requests racing (permission requests and
// calls through the proxy to a fake Graph API) across 50 pairs, while webhooks for the same pairs arrive (user
// messages, the statuses of the requests just sent, the end of the calls just made, which Meta may report before
// callpermit has recorded the call). Every pair is in one of three situations, so the right answer to each
// attempt is known: a limit used exactly (never more, never less), every refusal with the Meta code of its reason,
// no 5xx; and in the recorded facts no window of any pair holds more than its limit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@callpermit/bench';
import {
  type BusinessNumber,
  callConnectWebhook,
  callTerminateWebhook,
  messageStatusWebhook,
  permissionReplyWebhook,
  userMessageWebhook,
  type WebhookBody,
  webhookSignature,
} from '@callpermit/cloud-api';
import type { Fact } from '@callpermit/core';
import { openStore } from '@callpermit/store';
import { FakeGraph, metaLike } from '@callpermit/testing/graph';
import { busiestWindow } from '@callpermit/testing/limits';
import type { ServeProcess } from '@callpermit/testing/serve';
import { freeFormRequestBody } from '@callpermit/testing/wire';
import { SOAK_SECRET } from '../parts/corpus.js';
import { type Answer, call, concurrently, deliver, startService } from '../parts/services.js';
import { type Scenario, Tally } from '../scenario.js';

const SIZES = {
  short: { attempts: 150, pairs: 12, concurrency: 12 },
  full: { attempts: 1000, pairs: 50, concurrency: 32 },
};

const BUSINESS: BusinessNumber = { phoneNumberId: '109876543277777' };
/** The run's connected-call limit: low, so that 20 attempts a pair use it up. */
const CALLS_A_DAY = 3;
const DAY = 86_400;

/**
 * - `permanent`: a permanent permission. Calls: CALLS_A_DAY allowed, then 138012. Requests: 138017.
 * - `none`: no permission, no customer-service window. Calls: 138006. Free-form requests: 131047.
 * - `window`: no permission, a window open. Calls: 138006. Requests: one allowed (1 a day), then 138009.
 */
type Situation = 'permanent' | 'none' | 'window';
type Action = 'call' | 'request';

const ALLOWED: Record<Situation, Record<Action, number>> = {
  permanent: { call: CALLS_A_DAY, request: 0 },
  none: { call: 0, request: 0 },
  window: { call: 0, request: 1 },
};
const REFUSAL: Record<Situation, Record<Action, number>> = {
  permanent: { call: 138012, request: 138017 },
  none: { call: 138006, request: 131047 },
  window: { call: 138006, request: 138009 },
};

interface PairPlan {
  readonly user: string;
  readonly situation: Situation;
}

const signed = (body: WebhookBody) => {
  const text = JSON.stringify(body);
  return { body: text, signature: webhookSignature(text, SOAK_SECRET) };
};

export const concurrency: Scenario = {
  name: 'concurrency',
  summary:
    'two instances, racing guard requests and calls across 50 pairs while their webhooks arrive: limits exact, right codes, no 5xx',
  async run(context) {
    const size = SIZES[context.size];
    const tally = new Tally();
    const now = () => Math.floor(Date.now() / 1000);
    const random = new Random(113);
    const situations: Situation[] = ['permanent', 'none', 'window'];
    const pairs: PairPlan[] = Array.from({ length: size.pairs }, (_, i) => ({
      user: `4477009${String(80_000 + i).padStart(5, '0')}`,
      situation: situations[i % 3] as Situation,
    }));
    const dir = mkdtempSync(join(tmpdir(), 'callpermit-soak-race-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(
      policy,
      JSON.stringify({ connected_call_limits: [{ time_period: 'PT24H', max_allowed: CALLS_A_DAY }] }),
    );
    const fake = await FakeGraph.start();
    const databaseUrl = await context.newDatabase();
    const instances: ServeProcess[] = [];
    try {
      const env = { CALLPERMIT_GRAPH_URL: fake.url };
      instances.push(await startService({ databaseUrl }, env, ['--policy', policy]));
      instances.push(await startService({ databaseUrl }, env, ['--policy', policy]));
      const pick = () => instances[random.int(0, 1)] as ServeProcess;
      const send = async (body: WebhookBody, what: string) => {
        const answer = await deliver(pick().url, signed(body));
        tally.inputs++;
        if (answer.status !== 200)
          tally.add(answer.status >= 500 ? 'serverErrors' : 'violations', 1, `${what}: ${describe(answer)}`);
      };

      // Before the race: the permissions and windows the situations need.
      const start = now() - 600;
      await concurrently(pairs, 8, async ({ user, situation }, i) => {
        if (situation === 'permanent')
          await send(
            permissionReplyWebhook(BUSINESS, {
              replyId: `wamid.SOAKGRANT${i}`,
              user,
              at: start,
              response: 'accept',
              permanent: true,
              source: 'user_action',
            }),
            'a grant',
          );
        if (situation === 'window')
          await send(
            userMessageWebhook(BUSINESS, { messageId: `wamid.SOAKHI${i}`, user, at: start }),
            'a user message',
          );
      });

      // Meta's follow-up webhooks for what the fake Graph API accepted, sent while the race goes on.
      const followUps: Promise<void>[] = [];
      let serial = 0;
      fake.respond = (request) => {
        const answer = metaLike(request);
        const body = JSON.parse(request.body || '{}') as { to?: string };
        const user = String(body.to ?? '');
        const id = JSON.stringify(answer.body).match(/"id":"(wa[cm]id\.[^"]+)"/)?.[1];
        if (id !== undefined) {
          const at = now();
          const n = ++serial;
          followUps.push(
            id.startsWith('wacid.')
              ? (async () => {
                  await send(
                    callConnectWebhook(BUSINESS, { callId: id, user, at, direction: 'BUSINESS_INITIATED' }),
                    'a call connect',
                  );
                  await send(
                    callTerminateWebhook(BUSINESS, {
                      callId: id,
                      user,
                      at: at + 30,
                      direction: 'BUSINESS_INITIATED',
                      startedAt: at,
                    }),
                    'a call terminate',
                  );
                })()
              : send(
                  messageStatusWebhook(BUSINESS, {
                    messageId: id,
                    user,
                    status: n % 2 === 0 ? 'read' : 'delivered',
                    at,
                  }),
                  'a status',
                ),
          );
        }
        return answer;
      };

      // The race: attempts over every pair, many at once, on both instances, with user messages among them.
      const attempts = Array.from({ length: size.attempts }, (_, i) => ({
        pair: pairs[i % pairs.length] as PairPlan,
        action: (random.chance(0.5) ? 'call' : 'request') as Action,
        n: i,
      }));
      const answers: { pair: PairPlan; action: Action; answer: Answer }[] = [];
      await concurrently(attempts, size.concurrency, async ({ pair, action, n }) => {
        if (n % 5 === 0 && pair.situation !== 'none')
          followUps.push(
            send(
              userMessageWebhook(BUSINESS, { messageId: `wamid.SOAKMSG${n}`, user: pair.user, at: now() }),
              'a user message',
            ),
          );
        const body =
          action === 'call'
            ? {
                messaging_product: 'whatsapp',
                to: pair.user,
                action: 'connect',
                session: { sdp_type: 'offer', sdp: 'v=0' },
              }
            : freeFormRequestBody(pair.user);
        const answer = await call(
          pick().url,
          `/v23.0/${BUSINESS.phoneNumberId}/${action === 'call' ? 'calls' : 'messages'}`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          },
        );
        tally.inputs++;
        answers.push({ pair, action, answer });
      });
      await Promise.all(followUps);
      tally.rounds = 1;

      // Each answer is what the pair's situation calls for; each limit used exactly.
      const allowed = new Map<string, number>();
      for (const { pair, action, answer } of answers) {
        const key = `${pair.user}/${action}`;
        if (answer.status === 200) {
          allowed.set(key, (allowed.get(key) ?? 0) + 1);
          continue;
        }
        if (answer.status >= 500 || answer.status === 0) {
          tally.add('serverErrors', 1, `${action} for a ${pair.situation} pair: ${describe(answer)}`);
          continue;
        }
        const code = codeOf(answer);
        if (code !== REFUSAL[pair.situation][action])
          tally.add(
            'violations',
            1,
            `${action} for a ${pair.situation} pair refused with ${code}, expected ${REFUSAL[pair.situation][action]}`,
          );
      }
      for (const pair of pairs)
        for (const action of ['call', 'request'] as const) {
          const tried = attempts.filter((a) => a.pair === pair && a.action === action).length;
          const expected = Math.min(tried, ALLOWED[pair.situation][action]);
          const got = allowed.get(`${pair.user}/${action}`) ?? 0;
          if (got !== expected)
            tally.add(
              'violations',
              Math.abs(got - expected),
              `${pair.user} (${pair.situation}): ${got} ${action}s allowed, expected ${expected}`,
            );
          const forwarded = fake.received.filter(
            (r) =>
              r.url.endsWith(action === 'call' ? '/calls' : '/messages') && r.body.includes(`"${pair.user}"`),
          ).length;
          if (forwarded !== got)
            tally.add(
              'violations',
              Math.abs(forwarded - got),
              `${pair.user}: ${forwarded} ${action}s reached the Graph API, ${got} allowed`,
            );
        }
      for (const instance of instances) await instance.stop();

      // The log: no window of any pair holds more than its limit.
      const store = await openStore({ databaseUrl });
      const log: Fact[] = [];
      try {
        for (
          let page = await store.readAll(0, 5000);
          page.length > 0;
          page = await store.readAll(page.at(-1)?.position ?? 0, 5000)
        )
          log.push(...page.map((r) => r.fact));
      } finally {
        await store.close();
      }
      for (const pair of pairs) {
        const of = (type: string) =>
          log.filter((f) => f.type === type && 'pair' in f && f.pair.user === pair.user).map((f) => f.at);
        const sends = of('RequestSent');
        const calls = of('CallAttempted');
        tally.add(
          'violations',
          Math.max(0, busiestWindow(sends, DAY) - 1),
          `${pair.user}: more than 1 request in 24 h`,
        );
        tally.add(
          'violations',
          Math.max(0, busiestWindow(sends, 7 * DAY) - 2),
          `${pair.user}: more than 2 requests in 7 days`,
        );
        tally.add(
          'violations',
          Math.max(0, busiestWindow(calls, DAY) - CALLS_A_DAY),
          `${pair.user}: more than ${CALLS_A_DAY} calls in 24 h`,
        );
      }
      tally.note({
        attempts: answers.length,
        allowed: [...allowed.values()].reduce((a, b) => a + b, 0),
        webhooks: tally.inputs - answers.length,
        facts: log.length,
        forwarded: fake.received.length,
      });
    } finally {
      for (const instance of instances) await instance.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return tally.report();
  },
};

function describe(answer: Answer): string {
  return 'failure' in answer
    ? `no answer (${answer.failure})`
    : `${answer.status} ${answer.text.slice(0, 200)}`;
}

function codeOf(answer: Answer): number | undefined {
  if ('failure' in answer) return undefined;
  try {
    return (JSON.parse(answer.text) as { error?: { code?: number } }).error?.code;
  } catch {
    return undefined;
  }
}
