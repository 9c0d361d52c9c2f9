import {
  Engine,
  type Fact,
  isBusinessFact,
  MemoryFactStore,
  type Pair,
  type PolicyBook,
} from '@callpermit/core';
import { storePolicy } from '@callpermit/service';
import type { SqlStore } from '@callpermit/store';
import { describeRejection, translateCaptures } from './capture.js';
import { CliFailure, Exit } from './failure.js';

export interface History {
  readonly engine: Engine;
  close(): Promise<void>;
}

function concerns(fact: Fact, pair: Pair): boolean {
  return isBusinessFact(fact)
    ? fact.business === pair.business
    : fact.pair.business === pair.business && fact.pair.user === pair.user;
}

/**
 * Folds a capture file in memory, keeping only the facts of one pair (and its business), so memory follows
 * the pair's history, not the file's. Bad lines go to `report`; with `strict` any bad line fails the command.
 */
export async function historyFromCapture(
  file: string,
  pair: Pair,
  policy: PolicyBook,
  strict: boolean,
  report: (line: string) => void,
): Promise<History> {
  const engine = new Engine(new MemoryFactStore(), { policy });
  const facts: Fact[] = [];
  let bad = 0;
  for await (const batch of translateCaptures([file])) {
    for (const line of batch) {
      if (line.outcome.kind === 'rejected') {
        bad++;
        report(describeRejection(line));
      } else for (const fact of line.outcome.facts) if (concerns(fact, pair)) facts.push(fact);
    }
  }
  if (strict && bad > 0) throw new CliFailure(`${bad} bad line(s) in ${file} (--strict)`, Exit.badLine);
  const result = await engine.ingest(facts);
  for (const r of result.rejected) report(`${r.fact.source.ref}: ${r.reason}`);
  return { engine, close: async () => {} };
}

/**
 * A store's history, under the policy the store was built with: the engine reads heads and checkpoints, so a
 * query reads O(1) rows.
 */
export async function historyFromStore(store: SqlStore, policyFile: string | undefined): Promise<History> {
  try {
    const { book } = await storePolicy(store, policyFile, false);
    return { engine: new Engine(store, { policy: book }), close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}
