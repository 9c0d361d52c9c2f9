/** One line of `pnpm -s bench` output. `ratio` = ours / baseline; for every entry higher is better, unless its doc says otherwise. */
export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly ours: number;
  readonly baseline: number;
  readonly baseline_name: string;
  readonly ratio: number;
}

/** A benchmark: `run` measures and returns its result(s); progress goes to `log` (stderr), never stdout. */
export interface Benchmark {
  readonly name: string;
  run(log: (message: string) => void): Promise<BenchResult>;
}

export function result(
  name: string,
  unit: string,
  ours: number,
  baseline: number,
  baselineName: string,
): BenchResult {
  return { name, unit, ours, baseline, baseline_name: baselineName, ratio: round(ours / baseline, 4) };
}

/** Three significant digits: the figures are never more precise than that on a shared 2-core machine. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const scale = 10 ** Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}

export function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Formats a rate for the progress log: 1234567 → "1.23M". */
export function human(value: number): string {
  if (value >= 1e6) return `${round(value / 1e6)}M`;
  if (value >= 1e3) return `${round(value / 1e3)}k`;
  return `${round(value)}`;
}
