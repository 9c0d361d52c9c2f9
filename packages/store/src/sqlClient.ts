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
type RunCopy = (target: string, data: readonly Uint8Array[]) => Promise<number>;

/** What a driver does on one connection (or one transaction): statements and bulk loads. */
export interface Runner {
  readonly query: RunQuery;
  readonly copyFrom: RunCopy;
  /**
   * The driver sends a statement as soon as it is given and answers in the order sent (PostgreSQL's pipeline
   * mode): statements given without waiting for one another share a round trip.
   */
  readonly pipelined?: boolean;
}

/**
 * The client handed to a transaction's callback: queries run on the transaction, nesting uses savepoints.
 * Queries sent without waiting for the previous one (a replay's inbox lines while the engine folds) run one
 * after the other in the order sent. A pipelined runner (PostgreSQL) is given each as soon as those before it
 * were given, so statements sent together share one round trip; otherwise (PGlite) each waits for the one
 * before it to finish.
 * A savepoint runs as one step of that order, from `savepoint` to its release or rollback: savepoints nest as
 * a stack, so a statement sent meanwhile from outside it would be undone by its rollback (or, were it a
 * savepoint of its own, make the rollback undo the wrong statements). A savepoint that ends well is released
 * just before the next statement, if any: the COMMIT that usually follows commits it without that round trip.
 */
export function transactionScope(
  driver: SqlClient['driver'],
  runner: Runner,
  depth = 0,
  exclusive: Exclusive = noExclusive,
  releases: PendingRelease = {},
): SqlClient {
  if (depth === 0) runner = firstFailure(releasingFirst(runner, releases));
  const order = inOrder();
  // A statement waits for those before it to be sent (pipelined) or answered; a load, or a savepoint from its
  // start to its end, is one step that what follows waits for.
  const statement = runner.pipelined ? order.sent : order.step;
  const run: RunQuery = (sql, params) => statement(() => runner.query(sql, params));
  return {
    driver,
    query: <R extends Row>(sql: string, params?: readonly unknown[]) => run(sql, params) as Promise<R[]>,
    copyFrom: (target, data) => order.step(() => runner.copyFrom(target, data)),
    exclusive,
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      return order.step(async () => {
        const savepoint = `callpermit_${depth + 1}`;
        // Pipelined, the savepoint goes out with the nested unit's first statements; a failure of it fails them.
        const opened = runner.query(`savepoint ${savepoint}`);
        if (runner.pipelined) opened.catch(() => {});
        else await opened;
        try {
          const result = await fn(transactionScope(driver, runner, depth + 1, exclusive, releases));
          await opened;
          // Released with the next statement, or never: the transaction's COMMIT (which the driver sends on
          // its own connection) commits an unreleased savepoint too. A commit is usually the last step of a
          // unit of work: this spares it a round trip before the COMMIT.
          releases.savepoint = savepoint;
          return result;
        } catch (error) {
          // A savepoint that was never made (the transaction had failed before it) has nothing to roll back to.
          const made = await opened.then(
            () => true,
            () => false,
          );
          if (made) await runner.query(`rollback to savepoint ${savepoint}`);
          throw error;
        }
      });
    },
    async close(): Promise<void> {
      throw new Error('a transaction is closed by the transaction() call that opened it');
    },
  };
}

async function noExclusive(): Promise<never> {
  throw new Error('exclusive() is not available on this transaction: its driver passed none');
}

/** The savepoint a finished nested transaction left to release (`transactionScope`). */
interface PendingRelease {
  savepoint?: string | undefined;
}

/**
 * `runner`, where a statement or load first releases the savepoint a nested transaction left (one release
 * covers the savepoints inside it too): so the savepoint is released only when the transaction goes on.
 */
function releasingFirst(runner: Runner, releases: PendingRelease): Runner {
  const pending = (): Promise<unknown> | undefined => {
    const savepoint = releases.savepoint;
    if (savepoint === undefined) return undefined;
    releases.savepoint = undefined;
    return runner.query(`release savepoint ${savepoint}`);
  };
  return {
    pipelined: runner.pipelined === true,
    query: async (sql, params) => {
      const release = pending();
      if (release === undefined) return runner.query(sql, params);
      if (!runner.pipelined) {
        await release;
        return runner.query(sql, params);
      }
      // Both go out at once; the release is answered first, so its failure is the one reported.
      const [, rows] = await Promise.all([release, runner.query(sql, params)]);
      return rows;
    },
    copyFrom: async (target, data) => {
      await pending();
      return runner.copyFrom(target, data);
    },
  };
}

/** SQLSTATE 25P02: a statement after a failed one in the same transaction (or savepoint). */
const ABORTED = '25P02';
const ROLLBACK_TO = /^rollback to savepoint /;

/**
 * `runner`, where a statement or load that fails after an earlier failure fails with that first error, not with
 * PostgreSQL's "current transaction is aborted" (25P02), which would hide the reason (a read-only database, a
 * full disk) from a caller awaiting the later one; until a rollback to a savepoint makes the transaction usable
 * again. (Statements reach it one at a time: `transactionScope` orders them.)
 */
function firstFailure(runner: Runner): Runner {
  let failure: { error: unknown } | undefined;
  const track = async <T>(next: () => Promise<T>, sql?: string): Promise<T> => {
    try {
      const value = await next();
      if (sql !== undefined && ROLLBACK_TO.test(sql)) failure = undefined;
      return value;
    } catch (error) {
      if (failure !== undefined && (error as { code?: unknown }).code === ABORTED) throw failure.error;
      failure ??= { error };
      throw error;
    }
  };
  return {
    pipelined: runner.pipelined === true,
    query: (sql, params) => track(() => runner.query(sql, params), sql),
    copyFrom: (target, data) => track(() => runner.copyFrom(target, data)),
  };
}

interface Order {
  /** Starts `next` once everything given before has finished; what is given after waits for it to finish. */
  step<T>(next: () => Promise<T>): Promise<T>;
  /**
   * Starts `next` once everything given before has been started (a step: finished); what is given after waits
   * only for it to start. For statements to a pipelined driver, which answers them in the order sent.
   */
  sent<T>(next: () => Promise<T>): Promise<T>;
}

/** Starts the work given to it in the order given (`Order`). */
function inOrder(): Order {
  let previous: Promise<unknown> = Promise.resolve();
  return {
    step(next) {
      const result = previous.then(next);
      previous = result.catch(() => {});
      return result;
    },
    sent(next) {
      const before = previous;
      const result = before.then(next);
      // Settles in the same turn as `next` is started: then-callbacks of one promise run in the order added.
      previous = before.then(() => {});
      return result;
    },
  };
}
