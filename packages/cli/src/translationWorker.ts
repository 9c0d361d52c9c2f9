// The worker side of `translateOffThread` (translationThread.ts): reads and translates capture files away
// from the main thread, one batch each time the main thread asks, so at most two batches are in memory.
import { parentPort, workerData } from 'node:worker_threads';
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
    reply = next.done ? { done: true } : { batch: next.value };
  } catch (error) {
    reply = { error: (error as Error).message };
  }
  port.postMessage(reply);
});
