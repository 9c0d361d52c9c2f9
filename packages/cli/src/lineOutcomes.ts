import type { Engine, Fact } from '@callpermit/core';
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
export async function ingestLines(engine: Engine, lines: readonly TranslatedLine[]): Promise<LineResult[]> {
  const facts: Fact[] = [];
  for (const line of lines)
    if (line.outcome.kind === 'facts') for (const f of line.outcome.facts) facts.push(f);
  const { known, rejected } = await engine.ingest(facts);
  const refused = new Map(rejected.map((r) => [r.fact, r.reason]));
  const seen = new Set<string>();
  return lines.map((line) => {
    if (line.outcome.kind === 'rejected') return { outcome: 'rejected', reason: describeRejection(line) };
    if (line.outcome.facts.length === 0) return { outcome: 'ignored' };
    let added = 0;
    for (const f of line.outcome.facts) {
      const reason = refused.get(f);
      if (reason !== undefined)
        return { outcome: 'rejected', reason: `${line.file}:${line.lineNo}: ${reason}` };
      if (known.has(f.key) || seen.has(f.key)) continue;
      seen.add(f.key);
      added++;
    }
    return { outcome: added > 0 ? 'applied' : 'duplicate' };
  });
}
