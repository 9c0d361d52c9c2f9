import type { z } from 'zod';

/**
 * Why a line (or webhook body, API call, policy file) cannot be read: the JSON path of the offending value and
 * the reason. Thrown inside translation and turned into a `rejected` outcome at the line boundary, so a line
 * is all or nothing: a bad item never leaves half of a batch applied. Not core's `Refusal`, which is a rule's
 * answer to a well-formed command (with Meta's error code).
 */
export class WireRefusal extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(path === '' ? reason : `${path}: ${reason}`);
    this.name = 'WireRefusal';
    this.path = path;
    this.reason = reason;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `entry[0].changes[1].value`, with keys that are not identifiers quoted: `businesses["1098"]`. */
export function joinPath(prefix: string, segments: readonly PropertyKey[]): string {
  let path = prefix;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment))
      path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

/**
 * Validates `value` with a schema without transforms (its input type is its output type), or throws a
 * WireRefusal naming the first offending path under `at` (a path, or a function building it: paths are only
 * spelled out when something is wrong). A valid input is its own parsed value, so `validate` checks it without
 * building a copy; only a refused value is parsed again for its issues.
 */
export function check<T>(schema: z.ZodType<T, T>, value: unknown, at: string | (() => string)): T {
  if (schema.validate(value)) return value as T;
  return parse(schema, value, at);
}

/** Parses `value` with `schema` (transforms included), or throws a WireRefusal like `check`. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, at: string | (() => string)): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const prefix = typeof at === 'string' ? at : at();
  const issue = result.error.issues[0];
  if (!issue) throw new WireRefusal(prefix, 'invalid');
  throw new WireRefusal(joinPath(prefix, issue.path), issueReason(issue, value));
}

/**
 * What a person is told about a zod issue found in `value`: unknown keys by name, a missing value as
 * missing (rather than "expected string, received undefined"), anything else as zod says it.
 */
export function issueReason(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
  }
  if (
    (issue.code === 'invalid_type' || issue.code === 'invalid_union') &&
    valueAt(value, issue.path) === undefined
  ) {
    const expected =
      issue.code === 'invalid_union'
        ? ` (${issue.message})`
        : issue.expected === 'nonoptional'
          ? ''
          : ` (expected ${issue.expected})`;
    return `missing${expected}`;
  }
  return issue.message;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
