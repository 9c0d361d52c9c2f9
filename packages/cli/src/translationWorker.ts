// The worker side of `translateOffThread` (translationThread.ts): reads and translates capture files away
// from the main thread, one batch each time the main thread asks, so at most two batches are in memory. It
// also hashes and lays out the batch's lines for the inbox, and sends them as one buffer that moves to the
// main thread without a copy; the lines go without their text, which the main thread reads from there, as
// JSON text: a structured clone of the facts costs both threads about three times what JSON does.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeBodies } from '@callpermit/store';
import { translateCaptures } from './capture.js';
import type { WorkerReply } from './translationThread.js';

const { files, batchSize } = workerData as { files: string[]; batchSize: number };
const port = parentPort;
if (port === null) throw new Error('translationWorker.js runs as a worker thread');
const batches = translateCaptures(files, batchSize)[Symbol.asyncIterator]();

port.on('message', async () => {
  let reply: WorkerReply;
  try {
    const next = await batches.next();
    if (next.done) reply = { done: true };
    else {
      const bodies = encodeBodies(next.value.map((line) => line.raw));
      const lines = JSON.stringify(
        next.value.map(({ file, lineNo, outcome }) => ({ file, lineNo, outcome })),
      );
      port.postMessage({ lines, bodies } satisfies WorkerReply, [bodies.buffer]);
      return;
    }
  } catch (error) {
    reply = { error: (error as Error).message };
  }
  port.postMessage(reply);
});
