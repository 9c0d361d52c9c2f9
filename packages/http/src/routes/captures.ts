// `POST /v1/captures`: capture lines made elsewhere (NDJSON, the capture format), stored like `callpermit
// replay` stores a file: in batches, each batch's lines in the inbox with their facts in one transaction.
import { Readable } from 'node:stream';
import { readCaptureLines, Translator } from '@callpermit/cloud-api';
import {
  emptyCounts,
  type LineResult,
  type ReplayCounts,
  recordLines,
  type TranslatedLine,
  tally,
} from '@callpermit/service';
import type { Context } from 'hono';
import { forbidden, unlimited } from '../auth.js';
import type { AppEnv, Parts } from '../context.js';

/** The inbox source of the lines of `POST /v1/captures`. */
export const CAPTURES_SOURCE = 'captures';
/** Lines per transaction. */
export const CAPTURE_BATCH_LINES = 1000;

/** `replay --json`'s summary, and each refused line with its number and reason. */
export interface CaptureSummary extends ReplayCounts {
  rejects: { line: number; reason: string }[];
}

/**
 * Streams the body's lines (any size) through a translator that knows the templates the service knows and
 * learns more from the lines, and stores them batch by batch. Bad lines are kept in the inbox as rejected and
 * listed in the answer, never dropped. Lines touch any business: only an unlimited token may send them.
 */
export async function captures(c: Context<AppEnv>, parts: Parts): Promise<Response> {
  if (!unlimited(c)) return forbidden(c);
  const counts = emptyCounts();
  const rejects: CaptureSummary['rejects'] = [];
  const translator = new Translator({ templates: parts.translator.templates });
  const store = async (batch: TranslatedLine[]) => {
    const results = await recordLines(parts.engine, batch);
    for (const [i, line] of batch.entries()) {
      const result = results[i] as LineResult;
      tally(counts, result);
      if (result.outcome === 'rejected')
        rejects.push({ line: line.lineNo, reason: result.reason ?? 'rejected' });
    }
  };
  const body = c.req.raw.body;
  if (body !== null) {
    let batch: TranslatedLine[] = [];
    const input = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
    for await (const { lineNo, raw } of readCaptureLines(input)) {
      batch.push({
        file: CAPTURES_SOURCE,
        lineNo,
        raw,
        outcome: translator.line(raw, `${CAPTURES_SOURCE}:${lineNo}`),
      });
      if (batch.length >= CAPTURE_BATCH_LINES) {
        await store(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await store(batch);
  }
  parts.translator.knowTemplates(translator.templates);
  const summary: CaptureSummary = { ...counts, rejects };
  return c.json(summary, 200);
}
