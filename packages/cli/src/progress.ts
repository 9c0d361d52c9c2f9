import { SingleBar } from 'cli-progress';

/** A progress bar with rate and ETA on a terminal; silent otherwise (pipes, CI, tests). */
export interface Progress {
  /** `by` more of the unit done; for a bar in bytes, `lines` more lines too (its rate is shown). */
  advance(by: number, lines?: number): void;
  stop(): void;
}

export type ProgressUnit = 'bytes' | 'lines';

function amount(value: number, unit: ProgressUnit): string {
  return unit === 'bytes' ? `${(value / 1e6).toFixed(1)} MB` : `${Math.round(value)}`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '…';
  const s = Math.round(seconds);
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/**
 * Work arrives in batches (a transaction at a time), so the rate and ETA are the run's average so far, not
 * the library's moving window, which swings between batches.
 */
export function progress(
  label: string,
  total: number,
  unit: ProgressUnit,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY || total <= 0) return { advance: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {done} of {all} | {rate}/s${unit === 'bytes' ? ' | {lineRate} lines/s' : ''} | ETA {left}`,
    hideCursor: true,
  });
  const started = Date.now();
  let done = 0;
  let lines = 0;
  const payload = () => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = done / seconds;
    return {
      done: amount(done, unit),
      all: amount(total, unit),
      rate: unit === 'bytes' ? `${(rate / 1e6).toFixed(1)} MB` : `${Math.round(rate)} lines`,
      lineRate: Math.round(lines / seconds),
      left: done === 0 ? '…' : duration((total - done) / rate),
    };
  };
  bar.start(total, 0, payload());
  return {
    advance(by, more = 0) {
      done = Math.min(done + by, total);
      lines += more;
      bar.update(done, payload());
    },
    stop: () => bar.stop(),
  };
}
