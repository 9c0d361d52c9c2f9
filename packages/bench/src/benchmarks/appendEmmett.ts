import { defaultPolicyBook, Engine, type Fact } from '@callpermit/core';
import { migrate, openSqlClient, type StoreOptions } from '@callpermit/store';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { type Benchmark, human, result, seconds } from '../benchmark.js';
import { cachedCapture } from '../captureGenerator.js';
import { deadline, withFreshDatabases } from '../durable/databases.js';
import { REPLAY_CAPTURE } from '../durable/durableReplay.js';
import { replayFactBatches } from '../durable/factSample.js';
import { type StreamAppend, TimedCommitStore } from '../durable/timedCommits.js';

/** The first 100k facts of the replay capture: about 220 batches, long enough for a stable rate. */
const SAMPLE_FACTS = 100_000;
const LIMIT_SECONDS = 900;

/**
 * append.emmett: the same events appended to PostgreSQL two ways, on one throwaway server, in one run.
 * Ours: an Engine ingesting the replay's batches over the SQL store, which commits each batch in one
 * transaction across its streams, with each stream's folded state; the time is that of the commits.
 * Emmett: `appendToStream(stream, events)` of its PostgreSQL event store for every stream of every commit,
 * with the same events in the same groups. Unit: events appended per second.
 */
export const appendEmmett: Benchmark = {
  name: 'append.emmett',
  async run(log) {
    const capture = cachedCapture(REPLAY_CAPTURE);
    const batches = await replayFactBatches(capture.path, SAMPLE_FACTS);
    log(`append.emmett: the first ${SAMPLE_FACTS} facts of the replay, in ${batches.length} batches`);
    return withFreshDatabases('postgres', log, async (databases) => {
      const ours = await appendOurs(await databases.create('ours'), batches);
      const events = ours.commits.flat().reduce((n, a) => n + a.facts.length, 0);
      const streamAppends = ours.commits.reduce((n, c) => n + c.length, 0);
      log(
        `append.emmett: ours: ${events} events (${ours.duplicates} duplicates dropped) over ${streamAppends} stream appends ` +
          `in ${ours.commits.length} commits: ${ours.commitSeconds.toFixed(1)} s in commits ` +
          `(${human(events / ours.commitSeconds)} events/s); whole Engine.ingest ${ours.ingestSeconds.toFixed(1)} s ` +
          `(${human(events / ours.ingestSeconds)} events/s)`,
      );
      const emmettSeconds = await appendWithEmmett(await databases.create('emmett'), ours.commits, log);
      log(
        `append.emmett: Emmett: the same ${events} events by ${streamAppends} appendToStream calls: ` +
          `${emmettSeconds.toFixed(1)} s (${human(events / emmettSeconds)} events/s)`,
      );
      return result(
        'append.emmett',
        'events/s',
        Math.round(events / ours.commitSeconds),
        Math.round(events / emmettSeconds),
        `Emmett 0.42.0 PostgreSQL event store, appendToStream per stream of each batch`,
      );
    });
  },
};

async function appendOurs(
  where: StoreOptions,
  batches: readonly Fact[][],
): Promise<{ commits: StreamAppend[][]; commitSeconds: number; ingestSeconds: number; duplicates: number }> {
  const client = await openSqlClient(where);
  await migrate(client);
  const store = new TimedCommitStore(client, 'append.emmett: ours');
  try {
    const engine = new Engine(store, { policy: defaultPolicyBook });
    let duplicates = 0;
    const overdue = deadline('appending with the SQL store', LIMIT_SECONDS);
    const start = process.hrtime.bigint();
    for (const batch of batches) {
      const ingested = await engine.ingest(batch);
      if (ingested.rejected.length > 0)
        throw new Error(
          `the engine refused ${ingested.rejected.length} facts: ${ingested.rejected[0]?.reason}`,
        );
      duplicates += ingested.duplicates;
      overdue();
    }
    const ingestSeconds = seconds(start);
    return { commits: store.commits, commitSeconds: store.commitSeconds, ingestSeconds, duplicates };
  } finally {
    await store.close();
  }
}

async function appendWithEmmett(
  where: StoreOptions,
  commits: readonly StreamAppend[][],
  log: (message: string) => void,
): Promise<number> {
  const url = where.databaseUrl;
  if (url === undefined) throw new Error('Emmett needs a PostgreSQL database');
  const eventStore = getPostgreSQLEventStore(url);
  try {
    // Emmett creates its schema on first use: done before the clock starts.
    await eventStore.schema.migrate();
    const overdue = deadline('appending with Emmett', LIMIT_SECONDS);
    const start = process.hrtime.bigint();
    for (const [i, commit] of commits.entries()) {
      for (const { stream, facts } of commit)
        await eventStore.appendToStream(
          stream,
          facts.map((fact) => ({ type: fact.type, data: fact as unknown as Record<string, unknown> })),
        );
      overdue();
      if ((i + 1) % 50 === 0)
        log(`  Emmett: ${i + 1}/${commits.length} batches in ${seconds(start).toFixed(1)} s`);
    }
    return seconds(start);
  } finally {
    await eventStore.close();
  }
}
