import { translateCaptures } from '@callpermit/cli';
import type { Fact } from '@callpermit/core';

/**
 * The facts a replay of the capture would hand the engine, batch by batch, in 1,000-line batches (what
 * `callpermit replay` used before it moved to 4,000; kept so append.emmett stays comparable across runs), up
 * to the first `limit` facts.
 */
export async function replayFactBatches(path: string, limit: number): Promise<Fact[][]> {
  const batches: Fact[][] = [];
  let total = 0;
  for await (const lines of translateCaptures([path], 1000)) {
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
