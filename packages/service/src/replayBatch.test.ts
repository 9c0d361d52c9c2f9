import { Engine, type Fact, type FactStore } from '@callpermit/core';
import { openStore } from '@callpermit/store';
import { describeWithPostgres, factsFor, T0, uniquePair } from '@callpermit/testing';
import { expect, it } from 'vitest';
import type { TranslatedLine } from './lines.js';
import { replayBatch } from './replayBatch.js';

/** A capture line carrying one fact (the inbox keeps whatever text it is given). */
function lineOf(fact: Fact, lineNo: number): TranslatedLine {
  return {
    file: 'race.ndjson',
    lineNo,
    raw: JSON.stringify(fact),
    outcome: { kind: 'facts', facts: [fact], ignored: 0 },
  };
}

/** An engine whose transaction store lets `race` run once, just before its first commit. */
class RacedEngine extends Engine {
  constructor(
    store: FactStore,
    private readonly race: () => Promise<void>,
  ) {
    super(store);
  }

  override withStore(store: FactStore): Engine {
    let raced = false;
    const race = this.race;
    return super.withStore({
      knownKeys: (keys) => store.knownKeys(keys),
      factsByKey: (keys) => store.factsByKey(keys),
      heads: (streams, cached) => store.heads(streams, cached),
      checkpointBefore: (stream, position) => store.checkpointBefore(stream, position),
      factsOf: (stream, range) => store.factsOf(stream, range),
      async commit(commits, invalidations) {
        if (!raced) {
          raced = true;
          await race();
        }
        return store.commit(commits, invalidations);
      },
      streams: () => store.streams(),
      readAll: (after, limit) => store.readAll(after, limit),
      exclusive: (key, fn) => store.exclusive(key, fn),
      close: () => store.close(),
    });
  }
}

describeWithPostgres('replayBatch while another process writes', (newDatabase) => {
  it('a line whose fact another writer stored during the batch ends as a duplicate, in the result and the inbox', async () => {
    const url = await newDatabase();
    const store = await openStore({ databaseUrl: url });
    const other = await openStore({ databaseUrl: url });
    try {
      const pair = uniquePair();
      const f = factsFor(pair);
      const taken = f.userMessaged(T0, 'm1');
      const ours = f.userMessaged(T0 + 5, 'm2');
      const lines = [lineOf(taken, 1), lineOf(ours, 2)];
      // The inbox has the lines as `applied` by then; the other process stores `taken` first.
      const engine = new RacedEngine(store, async () => {
        await new Engine(other).ingest([taken]);
      });
      const results = await replayBatch(store, engine, lines);
      expect(results).toEqual([{ outcome: 'duplicate' }, { outcome: 'applied' }]);
      const inbox = [];
      for await (const entry of store.inbox.iterate()) inbox.push([entry.source.line, entry.outcome]);
      expect(inbox).toEqual([
        [1, 'duplicate'],
        [2, 'applied'],
      ]);
      expect(await store.knownKeys([taken.key, ours.key])).toEqual(new Set([taken.key, ours.key]));
      expect((await new Engine(store).state(pair, T0 + 10)).factCount).toBe(2);
    } finally {
      await other.close();
      await store.close();
    }
  });
});
