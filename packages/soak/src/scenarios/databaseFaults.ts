// Database faults under a signed-webhook load. PostgreSQL (a server of the scenario's own): stopped (sessions
// terminated) and started again, frozen (SIGSTOP: it answers nothing) and thawed, crashed (immediate stop) and
// restarted, switched to read-only and back, and its data disk filled and freed. PGlite: its data disk filled and
// freed. While a fault lasts the service answers 503 with Retry-After (never 500, never a hang) and /readyz says
// so where reads fail too; afterwards it recovers by itself, every body Meta sends again is stored, and the end
// equals a clean replay.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mountSmallDisk, type SmallDisk } from '@callpermit/testing/disk';
import type { ServeProcess } from '@callpermit/testing/serve';
import { webhookCorpus } from '../parts/corpus.js';
import { FaultLoad } from '../parts/faultLoad.js';
import { type OwnPostgres, startOwnPostgres } from '../parts/postgres.js';
import { cleanReplay, compareAnswers, comparedInstants } from '../parts/reference.js';
import { kill, type StoreTarget, startService } from '../parts/services.js';
import { differences, snapshotStore } from '../parts/storeSnapshot.js';
import { type Scenario, type SoakContext, Tally } from '../scenario.js';

const SIZES = {
  short: { webhooks: 400, pairs: 50, cycles: 1, holdMs: 2500, calmMs: 1500, concurrency: 6 },
  full: { webhooks: 6000, pairs: 400, cycles: 3, holdMs: 8000, calmMs: 5000, concurrency: 12 },
};

/** The bounds the services run with here: a fault is noticed within seconds. */
const SERVICE_ENV = { CALLPERMIT_DB_CONNECT_TIMEOUT_MS: '2000', CALLPERMIT_DB_QUERY_TIMEOUT_MS: '3000' };
/** Longer than the query timeout above, with room for the answer. */
const FROZEN_MS = 4500;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The wait between a worker's deliveries that spreads the corpus over the whole fault schedule. */
function paceFor(size: (typeof SIZES)['short'], faults: number, webhooks: number): number {
  const scheduleMs = size.calmMs + size.cycles * faults * (size.holdMs + size.calmMs);
  return Math.floor((scheduleMs * size.concurrency) / webhooks);
}

/** Fills `disk` until `leaveMb` are free (a file that takes the rest); returns a function that frees it. */
function fillDisk(disk: SmallDisk, leaveMb: number): () => void {
  const stats = statfsSync(disk.dir);
  const free = stats.bavail * stats.bsize;
  const filler = join(disk.dir, 'filler');
  try {
    execFileSync('fallocate', ['-l', String(Math.max(4096, free - leaveMb * 1024 * 1024)), filler], {
      stdio: 'pipe',
    });
  } catch (error) {
    // The database wrote between the measure and the allocation, so that much no longer fits: to fill the
    // disk whole, append until it refuses even a block.
    if (leaveMb > 0) throw error;
    appendUntilFull(filler);
  }
  return () => rmSync(filler, { force: true });
}

/** Appends zeros to `file`, in ever smaller pieces, until the disk has no room left for one block. */
function appendUntilFull(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (let piece = 1 << 20; piece >= 4096; ) {
      try {
        writeSync(fd, Buffer.alloc(piece));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        piece >>= 1;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Whether the service died (a crash is the worst answer to a fault): counted, with the end of its output. */
function exited(service: ServeProcess, tally: Tally, during: string): boolean {
  const { exitCode, signalCode } = service.child;
  if (exitCode === null && signalCode === null) return false;
  const tail = service
    .output()
    .split('\n')
    .filter((line) => line !== '' && !line.includes('"store unavailable"'))
    .slice(-12)
    .join('\n');
  tally.add('violations', 1, `the service exited (${exitCode ?? signalCode}) during ${during}:\n${tail}`);
  return true;
}

/** The end of a fault run: every acknowledged body stored, and the same log and answers as a clean replay. */
async function checkEnd(
  tally: Tally,
  load: FaultLoad,
  target: StoreTarget,
  corpus: Parameters<typeof cleanReplay>[0],
  restart: () => Promise<ServeProcess>,
): Promise<number> {
  const reference = await cleanReplay(corpus);
  const stored = await snapshotStore(target);
  tally.add(
    'lost',
    corpus.length - load.acknowledged.size,
    'webhooks never acknowledged, however often sent',
  );
  const missing = [...load.acknowledged].filter((i) =>
    reference.keysOf(i).some((k) => !stored.facts.has(k)),
  ).length;
  tally.add('lost', missing, 'acknowledged webhooks whose facts are not in the log');
  tally.add(
    'lost',
    differences(reference.facts, stored.facts).count,
    'facts of a clean replay missing or different',
  );
  const extra = [...stored.facts.keys()].filter((k) => !reference.facts.has(k)).length;
  tally.add('doubleCounted', extra, 'facts a clean replay does not have');
  tally.add('doubleCounted', stored.factRows - stored.facts.size, 'fact keys stored twice');
  const service = await restart();
  try {
    const answers = await compareAnswers(service.url, reference, comparedInstants(reference));
    tally.add(
      'violations',
      answers.differing,
      `GET bodies that differ from a clean replay: ${answers.examples.join(' | ')}`,
    );
    return answers.compared;
  } finally {
    await service.stop();
  }
}

export const databasePostgres: Scenario = {
  name: 'db.postgres',
  summary:
    'PostgreSQL stopped, frozen, crashed, read-only and out of disk under load: 503 + Retry-After, /readyz, recovery, nothing lost',
  async run(context: SoakContext) {
    const size = SIZES[context.size];
    const tally = new Tally();
    const corpus = webhookCorpus(size.webhooks, size.pairs, 33);
    const disk = mountSmallDisk(96, 'postgres');
    let postgres: OwnPostgres | undefined;
    let service: ServeProcess | undefined;
    try {
      postgres = await startOwnPostgres();
      const server = postgres;
      const tablespace = 'unavailable' in disk ? undefined : 'soak_small_disk';
      if (tablespace !== undefined && !('unavailable' in disk))
        await server.admin([`create tablespace ${tablespace} location '${disk.dir}'`]);
      const databaseUrl = await server.newDatabase(tablespace);
      const database = new URL(databaseUrl).pathname.slice(1);
      const target = { databaseUrl };
      service = await startService(target, SERVICE_ENV);
      const url = service.url;
      const terminate = `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and pid <> pg_backend_pid()`;
      const faults: {
        name: string;
        unready: boolean;
        begin: () => Promise<void> | void;
        end: () => Promise<void> | void;
      }[] = [
        { name: 'stopped', unready: true, begin: () => server.stop('fast'), end: () => server.start() },
        { name: 'frozen', unready: true, begin: () => server.freeze(), end: () => server.thaw() },
        { name: 'crashed', unready: true, begin: () => server.stop('immediate'), end: () => server.start() },
        {
          name: 'read-only',
          unready: false,
          begin: () =>
            server.admin([`alter database ${database} set default_transaction_read_only = on`, terminate]),
          end: () =>
            server.admin([
              'set default_transaction_read_only = off',
              `alter database ${database} reset default_transaction_read_only`,
              terminate,
            ]),
        },
      ];
      if (!('unavailable' in disk)) {
        let free: (() => void) | undefined;
        faults.push({
          name: 'disk full',
          unready: false,
          begin: () => {
            free = fillDisk(disk, 0);
          },
          end: () => free?.(),
        });
      } else tally.note({ diskFull: `skipped: ${disk.unavailable}` });
      const load = new FaultLoad(
        () => url,
        corpus,
        tally,
        size.concurrency,
        paceFor(size, faults.length, corpus.length),
      );
      load.start();
      await pause(size.calmMs);
      const alive = service;
      schedule: for (let cycle = 0; cycle < size.cycles; cycle++) {
        for (const fault of faults) {
          const name = `${fault.name} #${cycle + 1}`;
          const ended = load.fault(name);
          await fault.begin();
          // A frozen server must stay frozen past the query timeout for the service to give up on it.
          await pause(fault.name === 'frozen' ? Math.max(size.holdMs, FROZEN_MS) : size.holdMs);
          await fault.end();
          ended();
          tally.rounds++;
          context.log(`${name}: ${load.acknowledged.size} of ${corpus.length} acknowledged`);
          await pause(size.calmMs);
          load.checkReadiness(name, fault.unready);
          if (exited(alive, tally, name)) break schedule;
        }
      }
      await load.finish(120_000);
      await service.stop();
      service = undefined;
      const compared = await checkEnd(tally, load, target, corpus, () => startService(target, SERVICE_ENV));
      tally.note({
        webhooks: corpus.length,
        statuses: load.statuses,
        slowestMs: load.slowest,
        answersCompared: compared,
      });
    } finally {
      if (service !== undefined) await kill(service);
      await postgres?.close();
      if (!('unavailable' in disk)) disk.unmount();
    }
    return tally.report();
  },
};

export const databasePglite: Scenario = {
  name: 'db.pglite',
  summary:
    'PGlite’s disk filled under load: 503 + Retry-After (the disk reserve), no hang, recovery once freed, nothing lost',
  async run(context: SoakContext) {
    const size = SIZES[context.size];
    const tally = new Tally();
    const disk = mountSmallDisk(160);
    if ('unavailable' in disk) {
      // Not faked: the figures say nothing was run, the details say why (docs/reliability.md).
      tally.note({ skipped: disk.unavailable });
      return tally.report();
    }
    const corpus = webhookCorpus(Math.round(size.webhooks / 2), size.pairs, 35);
    let service: ServeProcess | undefined;
    try {
      const target = { dataDir: join(disk.dir, 'db') };
      service = await startService(target, { CALLPERMIT_DISK_RESERVE_MB: '24' });
      const url = service.url;
      const load = new FaultLoad(() => url, corpus, tally, size.concurrency, paceFor(size, 1, corpus.length));
      load.start();
      await pause(size.calmMs);
      for (let cycle = 0; cycle < size.cycles; cycle++) {
        const name = `disk full #${cycle + 1}`;
        const ended = load.fault(name);
        // Below the reserve: PGlite is never let near a full disk, where it would hang.
        const free = fillDisk(disk, 8);
        await pause(size.holdMs);
        free();
        ended();
        tally.rounds++;
        await pause(size.calmMs);
        load.checkReadiness(name, false);
        if (exited(service, tally, name)) break;
      }
      await load.finish(120_000);
      await service.stop();
      service = undefined;
      const compared = await checkEnd(tally, load, target, corpus, () =>
        startService(target, { CALLPERMIT_DISK_RESERVE_MB: '24' }),
      );
      tally.note({
        webhooks: corpus.length,
        statuses: load.statuses,
        slowestMs: load.slowest,
        answersCompared: compared,
      });
    } finally {
      if (service !== undefined) await kill(service);
      disk.unmount();
    }
    return tally.report();
  },
};
