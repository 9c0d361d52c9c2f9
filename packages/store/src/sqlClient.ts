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
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while no other holder of `key` runs, in this process or any other on the same database (the
   * FactStore port's `exclusive`). Never inside the transaction: a transaction's client hands it to the client
   * that opened it.
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type Exclusive = SqlClient['exclusive'];

type RunQuery = (sql: string, params?: readonly unknown[]) => Promise<Row[]>;

/**
 * The client handed to a transaction's callback: queries run on the transaction, nesting uses savepoints.
 * Queries sent without waiting for the previous one (a replay's inbox lines while the engine folds) run one
 * after the other in the order sent: neither driver queues them on a transaction's connection for us.
 */
export function transactionScope(
  driver: SqlClient['driver'],
  run: RunQuery,
  depth = 0,
  exclusive: Exclusive = noExclusive,
): SqlClient {
  if (depth === 0) run = inOrder(run);
  return {
    driver,
    query: <R extends Row>(sql: string, params?: readonly unknown[]) => run(sql, params) as Promise<R[]>,
    exclusive,
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      const savepoint = `callpermit_${depth + 1}`;
      await run(`savepoint ${savepoint}`);
      try {
        const result = await fn(transactionScope(driver, run, depth + 1, exclusive));
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

async function noExclusive(): Promise<never> {
  throw new Error('exclusive() is not available on this transaction: its driver passed none');
}

/** SQLSTATE 25P02: a statement after a failed one in the same transaction (or savepoint). */
const ABORTED = '25P02';
const ROLLBACK_TO = /^rollback to savepoint /;

/**
 * `run`, with each query started only once the previous one has finished. A query sent after one that failed
 * fails with that first error, not with PostgreSQL's "current transaction is aborted" (25P02), which would hide
 * the reason (a read-only database, a full disk) from a caller awaiting the later query; until a rollback to a
 * savepoint makes the transaction usable again.
 */
function inOrder(run: RunQuery): RunQuery {
  let previous: Promise<unknown> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  return (sql, params) => {
    const result = previous
      .then(() => run(sql, params))
      .then(
        (rows) => {
          if (ROLLBACK_TO.test(sql)) failure = undefined;
          return rows;
        },
        (error: unknown) => {
          if (failure !== undefined && (error as { code?: unknown }).code === ABORTED) throw failure.error;
          failure ??= { error };
          throw error;
        },
      );
    previous = result.catch(() => {});
    return result;
  };
}
