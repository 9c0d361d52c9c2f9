/** A command that cannot run: one clear line on stderr and this exit code, never a stack trace. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** Exit codes people and scripts depend on. */
export const Exit = {
  ok: 0,
  cannotRun: 1,
  /** `simulate`: at least one expectation of the scenario failed. */
  expectationFailed: 1,
  /** `--strict` and a bad line. */
  badLine: 2,
  /** `replay` applied the valid lines but rejected some. */
  rejectedLines: 3,
} as const;
