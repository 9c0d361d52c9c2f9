import type { Engine } from '@callpermit/core';
import type { LineResult, TranslatedLine } from './lines.js';
import { recordLines } from './received.js';

interface Waiting {
  readonly line: TranslatedLine;
  resolve(result: LineResult): void;
  reject(error: unknown): void;
}

/** Lines one transaction takes at most. */
export const GROUP_MAX_LINES = 1000;

/**
 * Group commit for a service receiving bodies one by one (webhooks, Graph exchanges): a body arriving while a
 * transaction is in flight waits for the next one, which records every body that waited (`recordLines`: inbox
 * and facts together); a transaction starts one event-loop turn after its first body, so bodies already
 * arriving join it. Each caller is answered with its own line's result once the transaction holding it has
 * committed, so an acknowledged body is stored; if that transaction fails, every caller in it gets the error.
 * Under load, N concurrent bodies cost one transaction instead of N; alone, a body waits one loop turn.
 */
export class LineRecorder {
  private waiting: Waiting[] = [];
  private running = false;

  constructor(
    private readonly engine: Engine,
    private readonly maxLines = GROUP_MAX_LINES,
  ) {}

  record(line: TranslatedLine): Promise<LineResult> {
    return new Promise<LineResult>((resolve, reject) => {
      this.waiting.push({ line, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        // One turn of the event loop first: requests already on their sockets join this transaction instead
        // of the next (an embedded database can keep the loop busy for a whole transaction).
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.waiting.splice(0, this.maxLines);
        try {
          const results = await recordLines(
            this.engine,
            batch.map((w) => w.line),
          );
          for (const [i, w] of batch.entries()) w.resolve(results[i] as LineResult);
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
