import type { Translator } from '@callpermit/cloud-api';
import { type Engine, type FactStore, parseStreamId } from '@callpermit/core';
import { type InboxEntry, SqlStore } from '@callpermit/store';
import { ingestLines, type LineResult, type TranslatedLine } from './lines.js';
import { replayBatch } from './replayBatch.js';

/** The inbox source of a webhook body the HTTP service received (no line: a body is a whole delivery). */
export const WEBHOOK_SOURCE = 'webhook';
/** The inbox source of a Graph API exchange the HTTP service forwarded, kept as an `api_call` capture line. */
export const GRAPH_SOURCE = 'graph';
/**
 * The inbox source of a permission request or call the guard refused without contacting Meta, kept as the
 * `api_call` capture line of the request and the Graph error callpermit answered (ignored by the translator:
 * nothing happened at Meta). The timeline shows these refusals.
 */
export const GUARD_SOURCE = 'guard';

/**
 * Records received bodies (capture lines, webhook bodies, Graph exchanges) and the facts they carry, each with
 * its outcome. With a store that keeps an inbox (a SqlStore), the bodies and their facts commit in one
 * transaction (`replayBatch`): an acknowledged body is never lost, and a body received again is a duplicate.
 * Over a plain FactStore (an embedder's MemoryFactStore) only the facts are kept.
 */
export function recordLines(engine: Engine, lines: readonly TranslatedLine[]): Promise<LineResult[]> {
  return engine.store instanceof SqlStore
    ? replayBatch(engine.store, engine, lines)
    : ingestLines(engine, lines);
}

/** Unix seconds of an inbox timestamp (ISO-8601). */
function secondsOf(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/**
 * An inbox entry translated again (`callpermit rebuild`): a capture line as it was, and a webhook body the
 * HTTP service received with the instant it was first received as its `received_at`, which is what the
 * service used for items without a timestamp of their own.
 */
export function translateInboxEntry(entry: InboxEntry, translator: Translator): TranslatedLine {
  const file = entry.source.file;
  const lineNo = entry.source.line ?? 0;
  const ref = lineNo > 0 ? `${file}:${lineNo}` : file;
  if (file === WEBHOOK_SOURCE && entry.source.line === undefined) {
    let body: unknown;
    try {
      body = JSON.parse(entry.body);
    } catch (error) {
      return {
        file,
        lineNo,
        raw: entry.body,
        outcome: { kind: 'rejected', path: '', reason: `invalid JSON: ${(error as Error).message}` },
      };
    }
    return {
      file,
      lineNo,
      raw: entry.body,
      outcome: translator.webhook(body, secondsOf(entry.receivedAt), ref),
    };
  }
  return { file, lineNo, raw: entry.body, outcome: translator.line(entry.body, ref) };
}

/**
 * The names of every template the log knows to carry the permission component (TemplateKnown facts of any
 * business): what a translator in a new process, or one that another process taught, needs to recognise a
 * template send as a permission request. Reads the business streams only (a few facts each), but lists
 * every stream to find them.
 */
export async function templatesInLog(store: FactStore): Promise<Set<string>> {
  const names = new Set<string>();
  const businessStreams = (await store.streams()).filter((s) => parseStreamId(s).user === '');
  for (const stream of businessStreams) {
    for (const fact of await store.factsOf(stream)) if (fact.type === 'TemplateKnown') names.add(fact.name);
  }
  return names;
}
