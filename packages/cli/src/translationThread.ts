import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type TranslatedLine, translateCaptures } from './capture.js';
import { CliFailure } from './failure.js';

/** What the worker answers each request with: the next batch, the end, or why it could not read. */
export type WorkerReply = { batch: TranslatedLine[] } | { done: true } | { error: string };

const WORKER = new URL('./translationWorker.js', import.meta.url);

/**
 * `translateCaptures` on a worker thread: the same batches in the same order, read and translated while the
 * main thread works on the previous batch (a durable replay folds and talks to the database meanwhile).
 * The translator's state (templates, message ids) lives in the worker, across files as before. Stdin (`-`)
 * is read on the main thread, as is everything when the worker's script is not built (running from source).
 */
export async function* translateOffThread(
  files: readonly string[],
  batchSize: number,
): AsyncGenerator<TranslatedLine[]> {
  if (files.includes('-') || !existsSync(fileURLToPath(WORKER))) {
    yield* translateCaptures(files, batchSize);
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
      yield reply.batch;
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
