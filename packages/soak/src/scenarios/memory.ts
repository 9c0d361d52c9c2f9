// Memory under a long signed-webhook load: `callpermit serve` (PostgreSQL) receives 100,000 distinct webhooks
// (full size). Its resident set (VmRSS in /proc/PID/status, the lowest while idle for 12 s) once the first 10,000
// have settled is the baseline; once the last has settled it must be within 1.5 × that. A service that kept
// something per webhook (a cache without a bound, a listener per request) grows with the load and fails here; one
// that only warms up does not.
import { readFileSync } from 'node:fs';
import { captureLines } from '@callpermit/bench';
import { webhookSignature } from '@callpermit/cloud-api';
import { openStore } from '@callpermit/store';
import type { ServeProcess } from '@callpermit/testing/serve';
import { SOAK_SECRET } from '../parts/corpus.js';
import { deliver, kill, startService } from '../parts/services.js';
import { type Scenario, type Size, Tally } from '../scenario.js';

const SIZES: Record<Size, { webhooks: number; first: number; settleMs: number }> = {
  short: { webhooks: 1000, first: 200, settleMs: 2000 },
  full: { webhooks: 100_000, first: 10_000, settleMs: 12_000 },
};
/** RSS after the last may be at most this many times RSS after the first share (issue 15). */
export const MAX_GROWTH = 1.5;
const CONCURRENCY = 8;
const PAIRS = 2000;

/** The resident set of process `pid`, in kB. */
function residentKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

/**
 * RSS once the process has been idle for `ms`: the lowest of samples every 250 ms. V8 collects lazily under load
 * (the heap grows well past what is live, then shrinks in one major collection) and collects once allocation
 * stops; an RSS read mid-load says when the last collection was, not what is kept.
 */
async function settledKb(pid: number, ms: number): Promise<number> {
  let lowest = residentKb(pid);
  for (let waited = 0; waited < ms; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    lowest = Math.min(lowest, residentKb(pid));
  }
  return lowest;
}

/** Distinct signed webhook bodies from the capture generator, as many as asked, made as they are sent. */
function* webhooks(count: number): Generator<{ body: string; signature: string }> {
  let made = 0;
  for (const line of captureLines({ lines: count * 8, pairs: PAIRS, seed: 99 })) {
    const parsed = JSON.parse(line) as { kind?: string; payload?: unknown };
    if (parsed.kind !== 'webhook') continue;
    const body = JSON.stringify(parsed.payload);
    yield { body, signature: webhookSignature(body, SOAK_SECRET) };
    if (++made >= count) return;
  }
}

export const memoryServe: Scenario = {
  name: 'memory.serve',
  summary: `signed webhooks to serve (PostgreSQL): RSS after the last settles within ${MAX_GROWTH} × RSS after the first tenth`,
  async run(context) {
    const tally = new Tally();
    const size = SIZES[context.size];
    const databaseUrl = await context.newDatabase();
    let service: ServeProcess | undefined;
    try {
      service = await startService({ databaseUrl });
      const url = service.url;
      const pid = service.child.pid as number;
      const source = webhooks(size.webhooks);
      let acknowledged = 0;
      /** Sends until `until` webhooks have been sent in all, `CONCURRENCY` at a time. */
      const sendUpTo = async (until: number) => {
        const worker = async () => {
          while (tally.inputs < until) {
            const next = source.next();
            if (next.done) return;
            tally.inputs++;
            const answer = await deliver(url, next.value);
            if (answer.status === 200) acknowledged++;
            else if (answer.status >= 500)
              tally.add('serverErrors', 1, `a webhook answered ${answer.status}`);
            else tally.add('lost', 1, `a signed webhook answered ${answer.status}`);
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        tally.rounds++;
      };
      const startKb = await settledKb(pid, size.settleMs);
      await sendUpTo(size.first);
      const firstKb = await settledKb(pid, size.settleMs);
      context.log(`after ${tally.inputs}: RSS ${Math.round(firstKb / 1024)} MB`);
      // The rest in steps of the first share, each settled RSS kept: the curve says whether it grows or levels.
      const curveMb = [Math.round(firstKb / 1024)];
      let lastKb = firstKb;
      while (tally.inputs < size.webhooks) {
        const before = tally.inputs;
        await sendUpTo(Math.min(size.webhooks, tally.inputs + size.first));
        if (tally.inputs === before) break;
        lastKb = await settledKb(pid, size.settleMs);
        curveMb.push(Math.round(lastKb / 1024));
        context.log(`after ${tally.inputs}: RSS ${Math.round(lastKb / 1024)} MB`);
      }
      const ratio = lastKb / firstKb;
      if (ratio > MAX_GROWTH)
        tally.add(
          'violations',
          1,
          `RSS grew from ${Math.round(firstKb / 1024)} MB after ${size.first} webhooks to ${Math.round(lastKb / 1024)} MB after ${size.webhooks} (× ${ratio.toFixed(2)}, at most × ${MAX_GROWTH})`,
        );
      await service.stop();
      // Every acknowledged webhook is kept.
      const store = await openStore({ databaseUrl });
      try {
        const counts = await store.inbox.counts();
        const kept = Object.values(counts).reduce((sum, n) => sum + Number(n), 0);
        tally.add('lost', Math.max(0, acknowledged - kept), 'acknowledged webhooks not in the inbox');
      } finally {
        await store.close();
      }
      tally.note({
        webhooks: tally.inputs,
        acknowledged,
        rssStartMb: Math.round(startKb / 1024),
        rssFirstMb: Math.round(firstKb / 1024),
        rssLastMb: Math.round(lastKb / 1024),
        growth: Math.round(ratio * 100) / 100,
        curveMb,
      });
    } finally {
      if (service !== undefined) await kill(service);
    }
    return tally.report();
  },
};
