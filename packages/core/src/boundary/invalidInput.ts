/**
 * What is wrong with one field of an input: `field` is its path in the input (`pair.user`, `usage[1].action`,
 * `at`), '' for the input as a whole; `reason` says why, in words an embedder can act on.
 */
export interface InputProblem {
  readonly field: string;
  readonly reason: string;
}

/**
 * An input that cannot be meant: a command, instant, pair or id of the wrong shape (milliseconds for seconds,
 * an unknown command, a channel Meta does not have). Thrown by core's entry points before anything is read or
 * stored. It is not a refusal: a refusal (`Decision` with `ok: false`) is a well-formed command that Meta's
 * rules do not allow now, with Meta's error code.
 */
export class InvalidInput extends Error implements InputProblem {
  readonly field: string;
  readonly reason: string;

  constructor(problem: InputProblem) {
    super(problem.field === '' ? problem.reason : `${problem.field}: ${problem.reason}`);
    this.name = 'InvalidInput';
    this.field = problem.field;
    this.reason = problem.reason;
  }
}

/** A value as an error message shows it: text quoted and cut short, other types named. */
export function shown(value: unknown): string {
  if (typeof value === 'string') {
    const text = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    return `the text ${text}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${String(value)}`;
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
