// One retry rule for every writer (engine/retry.ts), and what each writer needs of it: another writer gets
// between an Engine's read and its commit, and the Engine reads again and decides again.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import { pairStreamId } from '../domain/pair.js';
import { policyBook } from '../policy/policy.js';
import { commands, DAY, facts, HOUR, T0, testPair } from '../test/builders.js';
import { Engine } from './engine.js';
import { MemoryFactStore } from './memoryStore.js';
import {
  type BusinessInvalidation,
  ConcurrencyError,
  DuplicateFactError,
  type StoredHead,
  type StreamCommit,
} from './port.js';
import { lostRace, retryLostRaces } from './retry.js';

/**
 * A memory store where another writer gets in just before each of the engine's next commits: `race` runs
 * (writing through `other`, an engine over the same log) and then the engine's commit goes ahead.
 */
class RacedStore extends MemoryFactStore {
  readonly other = new Engine(this);
  private races: (() => Promise<unknown>)[] = [];
  commits = 0;
  /** The races the engine lost, by the error its commit met. */
  readonly lost: string[] = [];

  raceBeforeCommit(...races: (() => Promise<unknown>)[]): void {
    this.races.push(...races);
  }

  override async commit(
    commits: readonly StreamCommit[],
    invalidations?: readonly BusinessInvalidation[],
  ): Promise<ReadonlyMap<string, StoredHead>> {
    const race = this.races.shift();
    if (race) {
      // The other writer's own commit is not raced.
      const waiting = this.races;
      this.races = [];
      await race();
      this.races = waiting;
    }
    this.commits++;
    try {
      return await super.commit(commits, invalidations);
    } catch (error) {
      this.lost.push((error as Error).name);
      throw error;
    }
  }
}

describe('retryLostRaces', () => {
  it('tries again while the attempt loses a race, up to maxAttempts, then throws the last race lost', async () => {
    for (const race of [new ConcurrencyError('s', 1, 2), new DuplicateFactError('k')]) {
      expect(lostRace(race)).toBe(true);
      let tries = 0;
      await expect(
        retryLostRaces(3, async () => {
          tries++;
          throw race;
        }),
      ).rejects.toBe(race);
      expect(tries).toBe(3);
      tries = 0;
      expect(
        await retryLostRaces(3, async () => {
          if (++tries < 3) throw race;
          return 'won';
        }),
      ).toBe('won');
    }
  });

  it('throws anything else at once', async () => {
    let tries = 0;
    const failure = new Error('disk full');
    expect(lostRace(failure)).toBe(false);
    await expect(
      retryLostRaces(5, async () => {
        tries++;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(tries).toBe(1);
  });
});

describe('what each writer needs of it', () => {
  it('ingest: the same fact stored meanwhile (the stream moved) is a duplicate on the second read', async () => {
    const store = new RacedStore();
    const engine = new Engine(store);
    const fact = facts.userMessaged({ at: T0 });
    store.raceBeforeCommit(() => store.other.ingest([fact]));
    expect(await engine.ingest([fact, facts.userMessaged({ at: T0 + 1 })])).toMatchObject({
      applied: 1,
      duplicates: 1,
    });
    expect(store.lost).toEqual(['ConcurrencyError']);
    expect((await engine.state(testPair, T0 + 1)).factCount).toBe(2);
  });

  it('ingest: a key another stream took meanwhile (DuplicateFactError) is a conflict on the second read', async () => {
    const store = new RacedStore();
    const engine = new Engine(store);
    const other = { business: testPair.business, user: '447700900999' };
    store.raceBeforeCommit(() => store.other.ingest([facts.userMessaged({ at: T0, pair: other, key: 'k' })]));
    const mine = facts.userMessaged({ at: T0, key: 'k' });
    expect(await engine.ingest([mine])).toMatchObject({ applied: 0, conflicts: [{ key: 'k', given: mine }] });
    expect(store.lost).toEqual(['DuplicateFactError']);
  });

  it('ingest: a stream another writer moved meanwhile (ConcurrencyError) is folded again with its fact', async () => {
    const store = new RacedStore();
    const engine = new Engine(store);
    store.raceBeforeCommit(() => store.other.ingest([facts.permissionGranted({ at: T0, permanent: true })]));
    expect(await engine.ingest([facts.userMessaged({ at: T0 + 1 })])).toMatchObject({ applied: 1 });
    expect((await engine.state(testPair, T0 + 1)).permission.status).toBe('permanent');
  });

  it('execute: the same command recorded meanwhile comes back as replayed', async () => {
    const store = new RacedStore();
    const engine = new Engine(store);
    await engine.ingest([facts.permissionGranted({ at: T0 - HOUR, permanent: true })]);
    const command = commands.startCall({ callId: 'wacid.SAME' });
    store.raceBeforeCommit(() => store.other.execute(command, T0));
    expect(await engine.execute(command, T0)).toMatchObject({ ok: true, facts: [], replayed: true });
    expect(store.lost).toEqual(['ConcurrencyError']);
    expect(await store.factsOf(pairStreamId(testPair))).toHaveLength(2);
  });

  it('execute: a limit another writer used up meanwhile is decided again, and refused', async () => {
    const store = new RacedStore();
    const engine = new Engine(store, {
      policy: policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 1 }] }),
    });
    await engine.ingest([facts.permissionGranted({ at: T0 - HOUR, permanent: true })]);
    store.raceBeforeCommit(() =>
      store.other.ingest([facts.callConnected({ at: T0, callId: 'wacid.OTHER' })]),
    );
    expect(await engine.execute(commands.startCall({ callId: 'wacid.MINE' }), T0)).toMatchObject({
      ok: false,
      refusal: { code: ErrorCode.connectedCallLimit },
    });
  });

  it('replay: a stream another writer moved while it was re-folded is re-folded again, with the new fact', async () => {
    const store = new RacedStore();
    const engine = new Engine(store);
    await engine.ingest([facts.userMessaged({ at: T0 })]);
    store.raceBeforeCommit(() => store.other.ingest([facts.userMessaged({ at: T0 + 1 })]));
    expect(await engine.replay()).toEqual({ streams: 1, facts: 2 });
    expect(store.lost).toEqual(['ConcurrencyError']);
    expect((await engine.state(testPair, T0 + 1)).factCount).toBe(2);
  });

  it('every writer gives up after maxAttempts races lost in a row', async () => {
    const store = new RacedStore();
    const engine = new Engine(store, { maxAttempts: 3 });
    let n = 0;
    const race = () => store.other.ingest([facts.userMessaged({ at: T0 + ++n })]);
    store.raceBeforeCommit(race, race, race);
    const before = store.commits;
    await expect(engine.ingest([facts.userMessaged({ at: T0 + 100 })])).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
    // Three races won by the other writer, three commits of the engine's refused.
    expect(store.commits - before).toBe(6);
    expect(store.lost).toEqual(['ConcurrencyError', 'ConcurrencyError', 'ConcurrencyError']);
  });
});
