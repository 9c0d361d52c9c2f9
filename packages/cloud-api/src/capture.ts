import { createInterface } from 'node:readline';

const NOT_BLANK = /\S/;

/**
 * Streams the lines of a capture file (NDJSON) with 1-based line numbers, one line in memory at a time.
 * Blank lines are skipped but still counted, so `lineNo` is what an editor shows; CRLF endings and a UTF-8
 * byte-order mark on the first line are removed.
 */
export async function* readCaptureLines(
  input: NodeJS.ReadableStream,
): AsyncGenerator<{ lineNo: number; raw: string }> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      const raw = lineNo === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
      if (!NOT_BLANK.test(raw)) continue;
      yield { lineNo, raw };
    }
  } finally {
    lines.close();
  }
}
