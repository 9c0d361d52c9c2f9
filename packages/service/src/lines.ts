import type { LineOutcome } from '@callpermit/cloud-api';
import type { Engine, Fact, IngestOptions, IngestReads } from '@callpermit/core';
import type { InboxOutcome } from '@callpermit/store';

/**
 * One received body with what the translator made of it: a capture line (`file`, `lineNo`), or a webhook or
 * Graph API exchange the HTTP service received (its own `file`, e.g. `webhook`, and no line: `lineNo` 0).
 */
export interface TranslatedLine {
  readonly file: string;
  readonly lineNo: number;
  readonly raw: string;
  readonly outcome: LineOutcome;
}

/** `FILE:LINE: PATH: REASON`, the form every command reports a bad line in (`FILE: …` without a line). */
export function describeRejection(line: TranslatedLine): string {
  if (line.outcome.kind !== 'rejected') return '';
  const where = line.outcome.path ? `${line.outcome.path}: ` : '';
  return `${placeOf(line)}: ${where}${line.outcome.reason}`;
}

/** `FILE:LINE`, or `FILE` for a body that is no line of a file. */
export function placeOf(line: Pick<TranslatedLine, 'file' | 'lineNo'>): string {
  return line.lineNo > 0 ? `${line.file}:${line.lineNo}` : line.file;
}

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
      if (reason !== undefined) return { outcome: 'rejected', reason: `${placeOf(line)}: ${reason}` };
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
