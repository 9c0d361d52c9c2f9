import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LineOutcome } from '@callpermit/cloud-api';
import { type EncodedBodies, EncodedBody, encodeBodies } from '@callpermit/store';
import { type TranslatedLine, translateCaptures } from './capture.js';
import { CliFailure } from './failure.js';

/** A batch of translated lines with each one's text hashed and laid out for the inbox (`encodeBodies`). */
export interface EncodedBatch {
  readonly lines: readonly TranslatedLine[];
  readonly bodies: readonly EncodedBody[];
}

/**
 * What the worker answers each request with: the next batch (its lines without their text, as JSON), the end,
 * or why not.
 */
export type WorkerReply = { lines: string; bodies: EncodedBodies } | { done: true } | { error: string };

const WORKER = new URL('./translationWorker.js', import.meta.url);

/** A line from the worker: its text is decoded from its encoded body only when asked for (a rejected line). */
class ReceivedLine implements TranslatedLine {
  constructor(
    readonly file: string,
    readonly lineNo: number,
    readonly outcome: LineOutcome,
    private readonly body: EncodedBody,
  ) {}

  get raw(): string {
    return this.body.text;
  }
}

/**
 * `translateCaptures` on a worker thread: the same batches in the same order, read, translated and encoded for
 * the inbox while the main thread works on the previous batch (a durable replay folds and talks to the
 * database meanwhile). The translator's state (templates, message ids) lives in the worker, across files as
 * before. Stdin (`-`) is read on the main thread, as is everything when the worker's script is not built
 * (running from source).
 */
export async function* translateOffThread(
  files: readonly string[],
  batchSize: number,
): AsyncGenerator<EncodedBatch> {
  if (files.includes('-') || !existsSync(fileURLToPath(WORKER))) {
    for await (const lines of translateCaptures(files, batchSize))
      yield { lines, bodies: EncodedBody.viewsOf(encodeBodies(lines.map((line) => line.raw))) };
    return;
  }
  // No flags of the parent's: the built script imports the built packages, whatever export conditions the
  // parent runs under (a test runner's source condition would send the worker to TypeScript files).
  const worker = new Worker(WORKER, { workerData: { files, batchSize }, execArgv: [] });
  try {
    for (;;) {
      const reply = await ask(worker);
      if ('error' in reply) throw new CliFailure(reply.error);
      if ('done' in reply) return;
      const bodies = EncodedBody.viewsOf(reply.bodies);
      const sent = JSON.parse(reply.lines) as Omit<TranslatedLine, 'raw'>[];
      const lines = sent.map(
        (line, i) => new ReceivedLine(line.file, line.lineNo, line.outcome, bodies[i] as EncodedBody),
      );
      yield { lines, bodies };
    }
  } finally {
    await worker.terminate();
  }
}

/** Asks the worker for its next batch; a worker that fails or exits instead is an error here. */
function ask(worker: Worker): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: WorkerReply) => {
      cleanup();
      resolve(reply);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the translation thread stopped (exit code ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage('next');
  });
}
