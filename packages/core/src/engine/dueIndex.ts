// The memory store's index of when each stream's next time-driven change is due (the SQL stores keep the
// table `due`, indexed by instant): a binary min-heap of (instant, stream), where an entry an update
// has replaced is skipped when it surfaces. Finding what is due costs O(due · log n), never a scan.
import type { Instant } from '../domain/time.js';

type Entry = readonly [Instant, string];

const before = (a: Entry, b: Entry) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export class DueIndex {
  private readonly due = new Map<string, Instant>();
  private readonly heap: Entry[] = [];

  /** When `stream`'s next change is due; null: never. */
  set(stream: string, at: Instant | null): void {
    if (at === null) {
      this.due.delete(stream);
      return;
    }
    if (this.due.get(stream) === at) return;
    this.due.set(stream, at);
    this.push([at, stream]);
  }

  /** Streams due at or before `now`, earliest first, at most `limit`. They stay due until `set` moves them. */
  upTo(now: Instant, limit: number): string[] {
    const found: Entry[] = [];
    const taken = new Set<string>();
    while (found.length < limit && this.heap.length > 0) {
      const top = this.heap[0] as Entry;
      if (top[0] > now) break;
      this.pop();
      // An entry an update replaced, or a second entry of the same value, is dropped.
      if (this.due.get(top[1]) === top[0] && !taken.has(top[1])) {
        taken.add(top[1]);
        found.push(top);
      }
    }
    for (const e of found) this.push(e);
    return found.map((e) => e[1]);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i] as Entry, h[parent] as Entry)) break;
      [h[i], h[parent]] = [h[parent] as Entry, h[i] as Entry];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Entry;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l] as Entry, h[m] as Entry)) m = l;
      if (r < h.length && before(h[r] as Entry, h[m] as Entry)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as Entry, h[i] as Entry];
      i = m;
    }
  }
}
