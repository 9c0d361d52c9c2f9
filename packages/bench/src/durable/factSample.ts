import { translateCaptures } from '@callpermit/cli';
import type { Fact } from '@callpermit/core';

/**
 * The facts a replay of the capture would hand the engine, batch by batch (the same 1,000-line batches as
 * `callpermit replay`), up to the first `limit` facts.
 */
export async function replayFactBatches(path: string, limit: number): Promise<Fact[][]> {
  const batches: Fact[][] = [];
  let total = 0;
  for await (const lines of translateCaptures([path])) {
    const batch: Fact[] = [];
    for (const line of lines) {
      if (line.outcome.kind !== 'facts') continue;
      for (const fact of line.outcome.facts) if (total + batch.length < limit) batch.push(fact);
    }
    total += batch.length;
    if (batch.length > 0) batches.push(batch);
    if (total >= limit) break;
  }
  return batches;
}
