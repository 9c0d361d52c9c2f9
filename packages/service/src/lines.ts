import type { LineOutcome } from '@callpermit/cloud-api';
import type { Engine, Fact, FactConflict, IngestOptions, IngestReads } from '@callpermit/core';
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

/** Why a fact that conflicts with the log is not applied: its key, and both facts (sources aside). */
export function conflictReason(conflict: FactConflict): string {
  const content = ({ source: _, ...rest }: Fact) => JSON.stringify(rest);
  return (
    `conflict: the log holds key ${JSON.stringify(conflict.key)} with other content; ` +
    `stored ${content(conflict.stored)}, given ${content(conflict.given)}`
  );
}

/**
 * What became of each line, given which of its facts the log held and which the engine refused: `applied`
 * (it brought a new fact), `duplicate` (every fact it carries was known, or came earlier in the batch),
 * `ignored` (valid, but nothing callpermit models), `rejected` (bad, with the line, field and reason; or a
 * fact whose key the log holds with other content, a conflict: the line is kept in the inbox, not applied).
 */
export function lineResults(lines: readonly TranslatedLine[], reads: IngestReads): LineResult[] {
  const refused = new Map<Fact, string>(reads.rejected.map((r) => [r.fact, `${r.field}: ${r.reason}`]));
  for (const c of reads.conflicts) refused.set(c.given, conflictReason(c));
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
