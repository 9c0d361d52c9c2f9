import { Translator } from '@callpermit/cloud-api';
import { Engine, type Fact, isBusinessFact, MemoryFactStore, type PolicyBook } from '@callpermit/core';
import { conflictReason, storePolicy } from '@callpermit/service';
import type { SqlStore } from '@callpermit/store';
import { describeRejection, type TranslatedLine, translateCaptures } from './capture.js';
import { CliFailure, Exit } from './failure.js';

export interface History {
  readonly engine: Engine;
  /** The policy the engine folds under. */
  readonly policy: PolicyBook;
  close(): Promise<void>;
}

/** Which pairs of a history a command reads: one pair, one business's pairs, one user's, or all (nothing set). */
export interface Selection {
  readonly business?: string | undefined;
  readonly user?: string | undefined;
}

/** Whether `fact` belongs to the selected pairs' history: their facts, and their businesses' facts. */
export function concerns(fact: Fact, selection: Selection): boolean {
  const { business, user } = selection;
  if (isBusinessFact(fact)) return business === undefined || fact.business === business;
  return (
    (business === undefined || fact.pair.business === business) &&
    (user === undefined || fact.pair.user === user)
  );
}

/**
 * Folds a capture file in memory, keeping only the facts of the selected pairs (e.g. one pair and its
 * business), so memory follows their history, not the file's. Bad lines go to `report`; with `strict` any bad line fails the command.
 * `onLine` sees every line with the templates the translator knows by then (the timeline reads refused
 * Graph calls from them).
 */
export async function historyFromCapture(
  file: string,
  pair: Selection,
  policy: PolicyBook,
  strict: boolean,
  report: (line: string) => void,
  onLine?: (line: TranslatedLine, templates: ReadonlySet<string>) => void,
): Promise<History> {
  const engine = new Engine(new MemoryFactStore(), { policy });
  const facts: Fact[] = [];
  let bad = 0;
  const translator = new Translator();
  for await (const batch of translateCaptures([file], 1000, translator)) {
    for (const line of batch) {
      onLine?.(line, translator.templates);
      if (line.outcome.kind === 'rejected') {
        bad++;
        report(describeRejection(line));
      } else for (const fact of line.outcome.facts) if (concerns(fact, pair)) facts.push(fact);
    }
  }
  if (strict && bad > 0) throw new CliFailure(`${bad} bad line(s) in ${file} (--strict)`, Exit.badLine);
  const result = await engine.ingest(facts);
  for (const r of result.rejected) report(`${r.fact.source.ref}: ${r.field}: ${r.reason}`);
  for (const c of result.conflicts) report(`${c.given.source.ref}: ${conflictReason(c)}`);
  return { engine, policy, close: async () => {} };
}

/**
 * A store's history, under the policy the store was built with: the engine reads heads and checkpoints, so a
 * query reads O(1) rows.
 */
export async function historyFromStore(store: SqlStore, policyFile: string | undefined): Promise<History> {
  try {
    const { book } = await storePolicy(store, policyFile, false);
    return { engine: new Engine(store, { policy: book }), policy: book, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}
