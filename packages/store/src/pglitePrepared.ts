import type { PGlite, Transaction } from '@electric-sql/pglite';
import { parse, protocol } from '@electric-sql/pglite';
import { statementNames } from './statementNames.js';

interface Prepared {
  readonly name: string;
  /** The parameters' type oids, as PostgreSQL described them: each value is serialised for its type. */
  readonly types: readonly number[];
}

type Rows = { rows: unknown[] };

/**
 * Named prepared statements on PGlite, for the statements of a transaction. PGlite's `query` parses, describes,
 * binds, describes and executes every statement anew: five calls into the WASM module, and a plan made each
 * time. A statement prepared once by name is bound and executed in one call, and PostgreSQL keeps its plan once a
 * generic plan is as good as a custom one. A webhook's commit (CTEs over JSON parameters) spent about a third
 * of its time being parsed and planned: measured in docs/performance.md (http.webhook.pglite, session 7).
 *
 * Only inside a transaction. PGlite's transaction holds its transaction lock, and `runExclusive` takes the lock
 * its `query` takes, so nothing runs between a bind and its answer. Outside one, a statement sent this way
 * could land inside another caller's transaction.
 */
export function preparedStatements(
  db: PGlite,
): (tx: Transaction, sql: string, params?: readonly unknown[]) => Promise<Rows> {
  const statements = new Map<string, Prepared>();
  const nameOf = statementNames();

  const prepare = async (sql: string, name: string): Promise<Prepared> => {
    const known = statements.get(sql);
    if (known !== undefined) return known;
    const { messages } = await db.execProtocol(
      joined([
        protocol.serialize.parse({ name, text: sql }),
        protocol.serialize.describe({ type: 'S', name }),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false },
    );
    const prepared = { name, types: parse.parseDescribeStatementResults(messages) };
    statements.set(sql, prepared);
    return prepared;
  };

  const execute = async (prepared: Prepared, params: readonly unknown[]): Promise<Rows> => {
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serialise = db.serializers[prepared.types[i] as number];
      return serialise === undefined ? String(value) : serialise(value);
    });
    const { messages } = await db.execProtocol(
      joined([
        protocol.serialize.bind({ statement: prepared.name, values }),
        protocol.serialize.describe({ type: 'P' }),
        protocol.serialize.execute({}),
        protocol.serialize.sync(),
      ]),
      { syncToFs: false },
    );
    return { rows: parse.parseResults(messages, db.parsers)[0]?.rows ?? [] };
  };

  return async (tx, sql, params) => {
    const name = nameOf(sql, params);
    if (name === undefined || params === undefined) return tx.query(sql, params as unknown[] | undefined);
    return db.runExclusive(async () => execute(await prepare(sql, name), params));
  };
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
