// A worker for the full-disk test (run from dist: `node dist/test/fillDisk.js fill|check DIR RESERVE_MB`), in a
// process of its own so that a PGlite that stops answering on a full disk is killed by the test, not awaited
// forever. `fill` records incompressible batches until a write is refused; `check` reopens the store and writes
// once more. Each prints one JSON line.
import { randomBytes } from 'node:crypto';
import { openStore } from '../index.js';
import { unavailableOf } from '../unavailable.js';

const item = (body: string) => ({ body, source: { file: 'fillDisk' }, outcome: 'ignored' as const });

async function main(): Promise<void> {
  const [mode, dataDir, reserve] = process.argv.slice(2);
  const store = await openStore({ dataDir: dataDir as string, diskReserveMb: Number(reserve) });
  try {
    if (mode === 'fill') {
      let stored = 0;
      for (let i = 0; i < 1000; i++) {
        const batch = Array.from({ length: 4 }, () => item(randomBytes(96_000).toString('base64')));
        try {
          await store.atomically(async (_facts, inbox) => {
            await inbox.record(batch);
          });
          stored += batch.length;
        } catch (error) {
          const unavailable = unavailableOf(error);
          const counted = (await store.inbox.counts()).ignored;
          console.log(
            JSON.stringify({
              stored,
              counted,
              reason: unavailable?.reason,
              message: (error as Error).message,
            }),
          );
          return;
        }
      }
      console.log(JSON.stringify({ stored, counted: stored, reason: null, message: 'never refused' }));
    } else {
      const before = (await store.inbox.counts()).ignored;
      await store.inbox.record([item(`after the disk grew ${Date.now()}`)]);
      console.log(JSON.stringify({ before, after: (await store.inbox.counts()).ignored }));
    }
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
