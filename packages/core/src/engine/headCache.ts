import type { StoredHead } from './port.js';

/**
 * The heads an engine read or wrote last, least recently used dropped first. The store is still asked for
 * every head (another process may have moved it), but a head whose revision has not changed comes back as
 * the cached object, so its state is neither read nor decoded again: a query on a long history reads a few
 * numbers instead of a whole state. Heads and their states are never mutated (the engine folds copies), so
 * sharing them is safe.
 */
export class HeadCache {
  private readonly heads = new Map<string, StoredHead>();

  constructor(private readonly capacity: number) {}

  /** The cached heads of these streams, to hand to `FactStore.heads`. */
  lookup(streams: readonly string[]): ReadonlyMap<string, StoredHead> {
    const found = new Map<string, StoredHead>();
    for (const stream of streams) {
      const head = this.heads.get(stream);
      if (head) found.set(stream, head);
    }
    return found;
  }

  /** Heads just read or written: the newest of each stream, most recently used. */
  remember(heads: ReadonlyMap<string, StoredHead>): void {
    if (this.capacity <= 0) return;
    for (const [stream, head] of heads) {
      this.heads.delete(stream);
      this.heads.set(stream, head);
    }
    // A Map iterates in insertion order: the first keys are the least recently used.
    for (const stream of this.heads.keys()) {
      if (this.heads.size <= this.capacity) break;
      this.heads.delete(stream);
    }
  }
}
