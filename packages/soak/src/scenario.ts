// What a soak scenario is, and what it reports. Every scenario runs at two sizes: `short` (seconds, in the normal
// test suite) and `full` (`pnpm -s soak`). Its report carries the summary table's figures; the four that must
// be 0 (lost, double-counted, violations, 5xx) decide the exit code of `pnpm -s soak`.

import { secretsIn } from './parts/secrets.js';
import { takeOutputs } from './parts/services.js';

export type Size = 'short' | 'full';

/** What a scenario needs from whoever runs it: the test suite or `pnpm -s soak`. */
export interface SoakContext {
  readonly size: Size;
  log(message: string): void;
  /** A new, empty database on the PostgreSQL server the run shares (loopback, throwaway). */
  newDatabase(): Promise<string>;
}

/** The summary table's figures of one scenario run. */
export interface Figures {
  /** Rounds: crash-and-restart cycles, fault phases, deliveries of the load, batches of fuzzed input. */
  readonly rounds: number;
  /** Inputs sent or fed: webhooks, lines, requests, generated bodies. */
  readonly inputs: number;
  /** Acknowledged inputs (a 200, a committed batch) that are not in the store afterwards. */
  readonly lost: number;
  /** Inputs applied more than once, or facts the clean reference does not have. */
  readonly doubleCounted: number;
  /** Everything else the scenario checks: limits exceeded, states that differ, wrong codes, hangs, … */
  readonly violations: number;
  /** Answers of 500 or above that the scenario did not expect (a 503 with Retry-After while the fault lasts is expected). */
  readonly serverErrors: number;
}

export interface ScenarioReport extends Figures {
  readonly scenario: string;
  readonly ms: number;
  /** Scenario-specific figures and what each check found (the JSON line carries them). */
  readonly details: Record<string, unknown>;
  /** One line per problem found, so a non-zero figure says what it counts. */
  readonly problems: readonly string[];
}

export interface Scenario {
  /** The name `pnpm -s soak NAME` selects, and the table's first column. */
  readonly name: string;
  /** What it does and checks, in one sentence (docs/reliability.md has the long form). */
  readonly summary: string;
  run(context: SoakContext): Promise<Omit<ScenarioReport, 'scenario' | 'ms'>>;
}

/** The figures that must be 0. */
export const MUST_BE_ZERO = ['lost', 'doubleCounted', 'violations', 'serverErrors'] as const;

/** Whether every figure that must be 0 is. */
export function clean(report: Figures): boolean {
  return MUST_BE_ZERO.every((figure) => report[figure] === 0);
}

/** Collects a scenario's figures and problems as it goes. */
export class Tally {
  rounds = 0;
  inputs = 0;
  lost = 0;
  doubleCounted = 0;
  violations = 0;
  serverErrors = 0;
  readonly details: Record<string, unknown> = {};
  /** Each kind of problem once, with how much it added (the first 50 kinds of each run are kept). */
  private readonly found = new Map<string, number>();

  /** Counts `n` under `figure`, with a line saying what. */
  add(figure: (typeof MUST_BE_ZERO)[number], n: number, what: string): void {
    if (n <= 0) return;
    this[figure] += n;
    const line = `${figure}: ${what}`;
    if (this.found.has(line) || this.found.size < 50) this.found.set(line, (this.found.get(line) ?? 0) + n);
  }

  get problems(): string[] {
    return [...this.found].map(([line, n]) => line.replace(': ', ` +${n}: `));
  }

  /** Adds scenario-specific figures to the details. */
  note(details: Record<string, unknown>): void {
    Object.assign(this.details, details);
  }

  report(): Omit<ScenarioReport, 'scenario' | 'ms'> {
    return {
      rounds: this.rounds,
      inputs: this.inputs,
      lost: this.lost,
      doubleCounted: this.doubleCounted,
      violations: this.violations,
      serverErrors: this.serverErrors,
      details: this.details,
      problems: this.problems,
    };
  }
}

/** Runs a scenario and times it; a scenario that throws is reported as one violation, never lost from the table. */
export async function runScenario(scenario: Scenario, context: SoakContext): Promise<ScenarioReport> {
  const started = performance.now();
  try {
    const report = await scenario.run(context);
    const ms = Math.round(performance.now() - started);
    // The logs of every service it started: no secret, token or signature may be in them.
    const leaks = [...new Set(takeOutputs().flatMap((output) => secretsIn(output)))];
    if (leaks.length === 0) return { scenario: scenario.name, ms, ...report };
    return {
      scenario: scenario.name,
      ms,
      ...report,
      violations: report.violations + leaks.length,
      problems: [...report.problems, ...leaks.map((leak) => `violations +1: a service printed ${leak}`)],
    };
  } catch (error) {
    takeOutputs();
    return {
      scenario: scenario.name,
      ms: Math.round(performance.now() - started),
      rounds: 0,
      inputs: 0,
      lost: 0,
      doubleCounted: 0,
      violations: 1,
      serverErrors: 0,
      details: {},
      problems: [`the scenario failed: ${(error as Error).stack ?? String(error)}`],
    };
  }
}
