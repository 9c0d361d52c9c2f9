// Where the two drivers differ, normalised once. `pg` returns int8 as a string and bytea as a Buffer;
// PGlite returns int8 as a number (a BigInt past 2^53) and bytea as a Uint8Array. Both parse json/jsonb and
// return timestamptz as a Date. Parameters go the other way: every structured value is sent as JSON text and
// unpacked in SQL (json_to_recordset), or as an array literal written here (`$1::text[]`), so neither
// driver's own array or object serialisation is relied on.

const INT8 = 20;

/** int8 columns (positions, counts) as JS numbers; a value past 2^53 is an error, never a silent rounding. */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} does not fit a JavaScript number`);
  return n;
}

/** PGlite's `parsers` option. */
export const pgliteParsers = { [INT8]: parseInt8 };

type TypeParser = (text: string) => unknown;
type GetTypeParser = (oid: number, format?: string) => TypeParser;

/** The `types` option of a `pg` Pool: int8 as PGlite has it; everything else as `pg` parses it. */
export function pgTypesWith(fallback: GetTypeParser): { getTypeParser: GetTypeParser } {
  return {
    getTypeParser: (oid, format) => (oid === INT8 && format !== 'binary' ? parseInt8 : fallback(oid, format)),
  };
}

/** A JSON parameter: sent as text, cast in SQL (`$1::json`). */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value);
}

const ARRAY_ESCAPES = /["\\]/g;
const NEEDS_ESCAPE = /["\\]/;

/**
 * A text[] parameter as PostgreSQL's array literal (`$1::text[]`): cheaper for the server than unpacking
 * JSON, which counts in queries that run per state read. Every element is quoted, `"` and `\` escaped.
 */
export function textArrayParam(values: readonly string[]): string {
  if (values.length === 0) return '{}';
  const joined = values.join('","');
  // Most lists (keys, streams, hashes) need no escape: one scan of the joined text says so.
  if (!NEEDS_ESCAPE.test(joined)) return `{"${joined}"}`;
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) literal += ',';
    literal += `"${(values[i] as string).replace(ARRAY_ESCAPES, '\\$&')}"`;
  }
  return `${literal}}`;
}

/** A bigint[] (or integer[]) parameter as an array literal: whole numbers only. */
export function numberArrayParam(values: readonly number[]): string {
  for (const n of values) if (!Number.isSafeInteger(n)) throw new RangeError(`${n} is not a whole number`);
  return `{${values.join(',')}}`;
}

export function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return parseInt8(String(value));
  throw new TypeError(`expected a number from the database, got ${typeof value}`);
}

export function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : numberOf(value);
}

/** timestamptz as an ISO-8601 instant (both drivers give a Date; text if a parser was swapped). */
export function isoOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return new Date(value).toISOString();
  throw new TypeError(`expected a timestamp from the database, got ${typeof value}`);
}

/** bytea as bytes: a Buffer from `pg` is a Uint8Array already. */
export function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`expected bytes from the database, got ${typeof value}`);
}

/** The constraint a unique violation (SQLSTATE 23505) names, from either driver's error; else undefined. */
export function uniqueViolation(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && typeof constraint === 'string' ? constraint : undefined;
}

/**
 * Whether the database rolled a transaction back only to let another go on (deadlock_detected, 40P01, or
 * serialization_failure, 40001) and running it again is the remedy it asks for.
 */
export function abortedToBreakAConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: unknown };
  return code === '40P01' || code === '40001';
}
