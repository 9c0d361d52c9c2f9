import type { Engine, Fact, FactStore } from '@callpermit/core';
import type { InboxOutcome } from '@callpermit/store';
import type { TranslatedLine } from './capture.js';
import { describeRejection } from './capture.js';

export interface LineResult {
  readonly outcome: InboxOutcome;
  readonly reason?: string;
}

/**
 * Ingests the facts of a batch of translated lines and says what became of each line: `applied` (it brought
 * a new fact), `duplicate` (every fact it carries was known), `ignored` (valid, but nothing callpermit
 * models), `rejected` (bad, with the line, field and reason).
 */
export async function ingestLines(
  store: FactStore,
  engine: Engine,
  lines: readonly TranslatedLine[],
): Promise<LineResult[]> {
  const keys: string[] = [];
  for (const line of lines)
    if (line.outcome.kind === 'facts') for (const f of line.outcome.facts) keys.push(f.key);
  const known = new Set(await store.knownKeys(keys));
  const fresh: Fact[] = [];
  const lineOfKey = new Map<string, number>();
  const results: LineResult[] = lines.map((line, i) => {
    if (line.outcome.kind === 'rejected') return { outcome: 'rejected', reason: describeRejection(line) };
    if (line.outcome.facts.length === 0) return { outcome: 'ignored' };
    let added = 0;
    for (const f of line.outcome.facts) {
      if (known.has(f.key)) continue;
      known.add(f.key);
      fresh.push(f);
      lineOfKey.set(f.key, i);
      added++;
    }
    return { outcome: added > 0 ? 'applied' : 'duplicate' };
  });
  if (fresh.length > 0) {
    const { rejected } = await engine.ingest(fresh);
    for (const r of rejected) {
      const i = lineOfKey.get(r.fact.key);
      const line = i === undefined ? undefined : lines[i];
      if (i !== undefined && line)
        results[i] = { outcome: 'rejected', reason: `${line.file}:${line.lineNo}: ${r.reason}` };
    }
  }
  return results;
}
