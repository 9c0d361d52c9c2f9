import { compareFacts, comparePositions, type FoldPosition, positionOf } from '../domain/factOrder.js';
import type { Fact } from '../domain/facts.js';
import { parseStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import { KeyedMutex } from './keyedMutex.js';
import {
  type BusinessInvalidation,
  type Checkpoint,
  ConcurrencyError,
  DuplicateFactError,
  type FactRange,
  type FactStore,
  type RecordedFact,
  type StoredHead,
  type StreamCommit,
} from './port.js';

interface MemoryStream {
  head: StoredHead;
  /** In fact order. */
  facts: RecordedFact[];
  checkpoints: Checkpoint[];
}

/** The in-memory store: for embedding and unit speed. Passes the same contract suite as the SQL stores. */
export class MemoryFactStore implements FactStore {
  private readonly byStream = new Map<string, MemoryStream>();
  private readonly keys = new Map<string, Fact>();
  private position = 0;
  private revision = 0;
  private readonly log: RecordedFact[] = [];
  private readonly locks = new KeyedMutex();

  /** One process holds the whole log: an in-process mutex is exclusive across every engine over it. */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(key, fn);
  }

  async knownKeys(keys: readonly string[]): Promise<ReadonlySet<string>> {
    const known = new Set<string>();
    for (const key of keys) if (this.keys.has(key)) known.add(key);
    return known;
  }

  async factsByKey(keys: readonly string[]): Promise<ReadonlyMap<string, Fact>> {
    const found = new Map<string, Fact>();
    for (const key of keys) {
      const fact = this.keys.get(key);
      if (fact !== undefined) found.set(key, fact);
    }
    return found;
  }

  /** Heads are immutable objects here, replaced on every change: `cached` has nothing to save. */
  async heads(streams: readonly string[]): Promise<ReadonlyMap<string, StoredHead>> {
    const found = new Map<string, StoredHead>();
    for (const id of streams) {
      const s = this.byStream.get(id);
      if (s) found.set(id, s.head);
    }
    return found;
  }

  async checkpointBefore(stream: string, position: FoldPosition): Promise<Checkpoint | undefined> {
    const cps = this.byStream.get(stream)?.checkpoints ?? [];
    for (let i = cps.length - 1; i >= 0; i--) {
      const cp = cps[i] as Checkpoint;
      if (comparePositions(cp.position, position) < 0) return cp;
    }
    return undefined;
  }

  async factsOf(stream: string, range: FactRange = {}): Promise<Fact[]> {
    const out: Fact[] = [];
    for (const r of this.byStream.get(stream)?.facts ?? []) {
      if (range.after && comparePositions(positionOf(r.fact), range.after) <= 0) continue;
      if (range.until !== undefined && r.fact.at > range.until) break;
      out.push(r.fact);
    }
    return out;
  }

  async commit(
    commits: readonly StreamCommit[],
    invalidations: readonly BusinessInvalidation[] = [],
  ): Promise<ReadonlyMap<string, StoredHead>> {
    // Check everything first: a commit is all or nothing.
    const batchKeys = new Set<string>();
    for (const c of commits) {
      const head = this.byStream.get(c.stream)?.head;
      const actual = head?.version ?? 0;
      if (actual !== c.expectedVersion) throw new ConcurrencyError(c.stream, c.expectedVersion, actual);
      if (c.expectedRevision !== undefined && head?.revision !== c.expectedRevision)
        throw new ConcurrencyError(c.stream, c.expectedVersion, actual, true);
      for (const f of c.facts) {
        if (this.keys.has(f.key) || batchKeys.has(f.key)) throw new DuplicateFactError(f.key);
        batchKeys.add(f.key);
      }
    }
    const written = new Map<string, StoredHead>();
    for (const c of commits) written.set(c.stream, this.apply(c));
    const committed = new Set(commits.filter((c) => c.state !== null).map((c) => c.stream));
    for (const inv of invalidations) this.invalidate(inv, committed);
    return written;
  }

  private apply(c: StreamCommit): StoredHead {
    let s = this.byStream.get(c.stream);
    if (!s) {
      s = {
        head: { stream: c.stream, version: 0, state: null, staleFrom: null, revision: 0 },
        facts: [],
        checkpoints: [],
      };
      this.byStream.set(c.stream, s);
    }
    let version = s.head.version;
    for (const fact of c.facts) {
      const recorded: RecordedFact = {
        stream: c.stream,
        version: ++version,
        position: ++this.position,
        fact,
      };
      this.keys.set(fact.key, fact);
      insertByFactOrder(s.facts, recorded);
      this.log.push(recorded);
    }
    if (c.dropCheckpointsFrom) {
      const from = c.dropCheckpointsFrom;
      s.checkpoints = s.checkpoints.filter((cp) => comparePositions(cp.position, from) < 0);
    }
    for (const cp of c.checkpoints) s.checkpoints.push(cp);
    s.checkpoints.sort((a, b) => comparePositions(a.position, b.position));
    s.head = {
      ...s.head,
      version,
      state: c.state,
      staleFrom: c.state ? null : s.head.staleFrom,
      revision: ++this.revision,
    };
    return s.head;
  }

  /** Pair streams re-folded in the same commit already saw the business fact. */
  private invalidate(inv: BusinessInvalidation, committed: ReadonlySet<string>): void {
    for (const [id, s] of this.byStream) {
      if (s.head.state === null || committed.has(id) || parseStreamId(id).business !== inv.business) continue;
      const last = s.head.state.last;
      if (!last || last.at < inv.from) continue;
      const staleFrom: Instant = Math.min(s.head.staleFrom ?? inv.from, inv.from);
      s.head = { ...s.head, staleFrom, revision: ++this.revision };
      s.checkpoints = s.checkpoints.filter((cp) => cp.position.at < staleFrom);
    }
  }

  async streams(): Promise<string[]> {
    return [...this.byStream.keys()];
  }

  async readAll(after: number, limit: number): Promise<RecordedFact[]> {
    const out: RecordedFact[] = [];
    // Positions are dense and start at 1: index directly.
    for (let i = Math.max(0, after); i < this.log.length && out.length < limit; i++)
      out.push(this.log[i] as RecordedFact);
    return out;
  }

  async close(): Promise<void> {}
}

function insertByFactOrder(list: RecordedFact[], r: RecordedFact): void {
  let i = list.length;
  while (i > 0 && compareFacts((list[i - 1] as RecordedFact).fact, r.fact) > 0) i--;
  list.splice(i, 0, r);
}
