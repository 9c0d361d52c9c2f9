import type { Benchmark } from './benchmark.js';
import { appendEmmett } from './benchmarks/appendEmmett.js';
import { coreFold } from './benchmarks/coreFold.js';
import { coreStep } from './benchmarks/coreStep.js';
import { httpGuard, httpQuery, httpWebhookPglite, httpWebhookPostgres } from './benchmarks/httpService.js';
import { queryP99 } from './benchmarks/queryP99.js';
import { replayAgainPglite, replayAgainPostgres } from './benchmarks/replayAgain.js';
import { replayPglite, replayPostgres } from './benchmarks/replayDurable.js';
import { replayMemory, replayMemoryHeap } from './benchmarks/replayMemory.js';

/**
 * Every benchmark, in run order. Explicit on purpose: adding one is adding a line here.
 * The storage work adds replay.pglite, replay.postgres, append.emmett and query.p99; the embedding boundary
 * (issue 17) adds replay.again.pglite and replay.again.postgres; the HTTP service adds http.webhook.pglite,
 * http.webhook.postgres, http.query and http.guard; issue 16 adds core.step (whether immer earns a place in the fold).
 */
export const benchmarks: readonly Benchmark[] = [
  coreFold,
  coreStep,
  replayMemory,
  replayMemoryHeap,
  replayPglite,
  replayPostgres,
  appendEmmett,
  queryP99,
  replayAgainPglite,
  replayAgainPostgres,
  httpWebhookPglite,
  httpWebhookPostgres,
  httpQuery,
  httpGuard,
];
