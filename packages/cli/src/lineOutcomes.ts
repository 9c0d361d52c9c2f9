import type { Engine, Fact, IngestOptions, IngestReads } from '@callpermit/core';
import type { InboxOutcome } from '@callpermit/store';
import type { TranslatedLine } from './capture.js';
import { describeRejection } from './capture.js';

export interface LineResult {
  readonly outcome: InboxOutcome;
  readonly reason?: string;
}

/** Every fact the translator found in these lines, in line order. */
export function factsOfLines(lines: readonly TranslatedLine[]): Fact[] {
  const facts: Fact[] = [];
  for (const line of lines)
    if (line.outcome.kind === 'facts') for (const f of line.outcome.facts) facts.push(f);
  return facts;
}

/**
 * What became of each line, given which of its facts the log held and which the engine refused: `applied`
 * (it brought a new fact), `duplicate` (every fact it carries was known, or came earlier in the batch),
 * `ignored` (valid, but nothing callpermit models), `rejected` (bad, with the line, field and reason).
 */
export function lineResults(lines: readonly TranslatedLine[], reads: IngestReads): LineResult[] {
  const refused = new Map(reads.rejected.map((r) => [r.fact, r.reason]));
  const seen = new Set<string>();
  return lines.map((line) => {
    if (line.outcome.kind === 'rejected') return { outcome: 'rejected', reason: describeRejection(line) };
    if (line.outcome.facts.length === 0) return { outcome: 'ignored' };
    let added = 0;
    for (const f of line.outcome.facts) {
      const reason = refused.get(f);
      if (reason !== undefined)
        return { outcome: 'rejected', reason: `${line.file}:${line.lineNo}: ${reason}` };
      if (reads.known.has(f.key) || seen.has(f.key)) continue;
      seen.add(f.key);
      added++;
    }
    return { outcome: added > 0 ? 'applied' : 'duplicate' };
  });
}

/** Ingests the facts of a batch of translated lines and says what became of each line. */
export async function ingestLines(
  engine: Engine,
  lines: readonly TranslatedLine[],
  options: IngestOptions = {},
): Promise<LineResult[]> {
  return lineResults(lines, await engine.ingest(factsOfLines(lines), options));
}
