import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { readCaptureLines, Translator } from '@callpermit/cloud-api';
import type { TranslatedLine } from '@callpermit/service';
import { CliFailure } from './failure.js';

export { describeRejection, type TranslatedLine } from '@callpermit/service';

/** Fails with one clear line when a capture file cannot be read. `-` is stdin. */
export async function assertReadable(file: string): Promise<void> {
  if (file === '-') return;
  try {
    await access(file);
  } catch (error) {
    throw new CliFailure(
      `${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * Streams capture files line by line through one translator (it learns templates and request ids across
 * files, in the order given), in batches so callers can write in batched transactions.
 */
export async function* translateCaptures(
  files: readonly string[],
  batchSize = 1000,
  translator = new Translator(),
): AsyncGenerator<TranslatedLine[]> {
  for (const file of files) {
    await assertReadable(file);
    const input = file === '-' ? process.stdin : createReadStream(file);
    const name = file === '-' ? 'stdin' : file;
    let batch: TranslatedLine[] = [];
    try {
      for await (const { lineNo, raw } of readCaptureLines(input)) {
        batch.push({ file: name, lineNo, raw, outcome: translator.line(raw, `${name}:${lineNo}`) });
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    } catch (error) {
      throw new CliFailure(
        `${name}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    if (batch.length > 0) yield batch;
  }
}
