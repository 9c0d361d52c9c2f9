/**
 * Mutual exclusion by key within one process: `run(key, fn)` starts `fn` once every earlier `run` of the same
 * key has settled; different keys do not wait for each other. Waiters are served in arrival order. The memory
 * store and the embedded store (one process per database) hold a pair with it; PostgreSQL adds an advisory
 * lock on top (see the store package) so that other processes wait too.
 */
export class KeyedMutex {
  /** Per key, the promise that settles when the last queued holder has finished. */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    // `previous` never rejects: it is a chain of `mine` promises, which only resolve.
    const tail = previous === undefined ? mine : previous.then(() => mine);
    this.tails.set(key, tail);
    if (previous !== undefined) await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys held or waited for now: for tests and metrics. */
  get size(): number {
    return this.tails.size;
  }
}
