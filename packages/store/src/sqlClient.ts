/** A result row as both drivers return it, after the type parsers in `codec.ts`. */
export type Row = Record<string, unknown>;

/**
 * The one port both drivers implement. `transaction` inside a transaction opens a savepoint, so a failed
 * inner step (an optimistic-concurrency conflict the engine retries) rolls back alone.
 */
export interface SqlClient {
  /** 'pglite' (embedded) or 'postgres' (a server through `pg`): for messages, never for SQL. */
  readonly driver: 'pglite' | 'postgres';
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * A bulk load: `COPY target FROM STDIN (FORMAT binary)` on PostgreSQL, the same from PGlite's `/dev/blob`.
   * `target` is `table (column, …)`; `data` the rows in binary COPY format (`BinaryCopyWriter`). Returns the
   * rows loaded.
   */
  copyFrom(target: string, data: readonly Uint8Array[]): Promise<number>;
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

type RunQuery = (sql: string, params?: readonly unknown[]) => Promise<Row[]>;
type RunCopy = (target: string, data: readonly Uint8Array[]) => Promise<number>;

/** What a driver does on one connection (or one transaction): statements and bulk loads. */
export interface Runner {
  readonly query: RunQuery;
  readonly copyFrom: RunCopy;
}

/**
 * The client handed to a transaction's callback: queries run on the transaction, nesting uses savepoints.
 * Queries sent without waiting for the previous one (a replay's inbox lines while the engine folds) run one
 * after the other in the order sent: neither driver queues them on a transaction's connection for us.
 */
const TIMES = new Map<string, [number, number]>();
process.on('exit', () => {
  if (!process.env.CALLPERMIT_VARIANT) return;
  for (const [k, [n, t]] of [...TIMES].sort((a, b) => b[1][1] - a[1][1]))
    console.error(`SQL ${(t / 1000).toFixed(2)} s ${n}x ${k}`);
});
function timed(runner: Runner): Runner {
  const add = (k: string, t0: number) => {
    const e = TIMES.get(k) ?? [0, 0];
    e[0]++;
    e[1] += performance.now() - t0;
    TIMES.set(k, e);
  };
  return {
    query: async (sql, params) => {
      const t0 = performance.now();
      try {
        return await runner.query(sql, params);
      } finally {
        add(sql.replace(/\s+/g, ' ').trim().slice(0, 70), t0);
      }
    },
    copyFrom: async (t, d) => {
      const t0 = performance.now();
      try {
        return await runner.copyFrom(t, d);
      } finally {
        add(`COPY ${t.slice(0, 40)}`, t0);
      }
    },
  };
}

export function transactionScope(driver: SqlClient['driver'], runner: Runner, depth = 0): SqlClient {
  if (depth === 0) runner = inOrder(timed(runner));
  const run = runner.query;
  return {
    driver,
    query: <R extends Row>(sql: string, params?: readonly unknown[]) => run(sql, params) as Promise<R[]>,
    copyFrom: runner.copyFrom,
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      const savepoint = `callpermit_${depth + 1}`;
      await run(`savepoint ${savepoint}`);
      try {
        const result = await fn(transactionScope(driver, runner, depth + 1));
        await run(`release savepoint ${savepoint}`);
        return result;
      } catch (error) {
        await run(`rollback to savepoint ${savepoint}`);
        throw error;
      }
    },
    async close(): Promise<void> {
      throw new Error('a transaction is closed by the transaction() call that opened it');
    },
  };
}

/** `runner`, with each statement or load started only once the previous one has finished. */
function inOrder(runner: Runner): Runner {
  let previous: Promise<unknown> = Promise.resolve();
  const queue = <T>(next: () => Promise<T>): Promise<T> => {
    const result = previous.then(next);
    previous = result.catch(() => {});
    return result;
  };
  return {
    query: (sql, params) => queue(() => runner.query(sql, params)),
    copyFrom: (target, data) => queue(() => runner.copyFrom(target, data)),
  };
}
