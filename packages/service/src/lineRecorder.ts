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
 * How long (milliseconds) a transaction waits for as many bodies as the one before it took and those that arrived
 * while it ran, before it starts with fewer. Callers answered together come back together (Meta's deliveries over its connections, a load
 * generator's): without the wait, those still on their way miss the transaction and make a small one of their
 * own, and a transaction's fixed cost (a dozen statements) is then shared by fewer bodies.
 */
export const GROUP_GATHER_MS = 2;

export interface LineRecorderOptions {
  /** Lines one transaction takes at most (default GROUP_MAX_LINES). */
  readonly maxLines?: number;
  /** How long a transaction waits for bodies (default GROUP_GATHER_MS; 0: one turn of the event loop only). */
  readonly gatherMs?: number;
}

/**
 * Group commit for a service receiving bodies one by one (webhooks, Graph exchanges): a body arriving while a
 * transaction is in flight waits for the next one, which records every body that waited (`recordLines`: inbox
 * and facts together). Each caller is answered with its own line's result once the transaction holding it has
 * committed, so an acknowledged body is stored; if that transaction fails, every caller in it gets the error.
 * Under load, N concurrent bodies cost one transaction instead of N.
 *
 * A transaction starts one event-loop turn after its first body, so bodies already arriving join it (an
 * embedded database can keep the loop busy for a whole transaction), and waits up to `gatherMs` more for as
 * many bodies as the previous transaction took and those that arrived while it ran. Alone, a body waits one loop turn; after a group, at most
 * `gatherMs`.
 */
export class LineRecorder {
  private waiting: Waiting[] = [];
  private running = false;
  private readonly maxLines: number;
  private readonly gatherMs: number;
  /**
   * The bodies the next transaction waits (a little) for: those of the last one, whose callers were just
   * answered, and those that arrived while it ran.
   */
  private expected = 1;
  /** Wakes a transaction gathering its bodies when one arrives. */
  private arrived: (() => void) | undefined;

  constructor(
    private readonly engine: Engine,
    options: LineRecorderOptions = {},
  ) {
    this.maxLines = options.maxLines ?? GROUP_MAX_LINES;
    this.gatherMs = options.gatherMs ?? GROUP_GATHER_MS;
  }

  record(line: TranslatedLine): Promise<LineResult> {
    return new Promise<LineResult>((resolve, reject) => {
      this.waiting.push({ line, resolve, reject });
      this.arrived?.();
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        await this.gather();
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
        // The callers just answered may come back at once, and join those who arrived meanwhile.
        this.expected = batch.length + this.waiting.length;
      }
    } finally {
      this.running = false;
    }
  }

  /** One turn of the event loop, then up to `gatherMs` until `expected` bodies wait (never more than one takes). */
  private async gather(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const wanted = Math.min(this.expected, this.maxLines);
    if (this.gatherMs <= 0 || this.waiting.length >= wanted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.arrived = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.gatherMs);
      this.arrived = () => {
        if (this.waiting.length >= wanted) done();
      };
    });
  }
}
