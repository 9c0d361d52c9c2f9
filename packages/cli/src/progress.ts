import { SingleBar } from 'cli-progress';

/** A progress bar with rate and ETA on a terminal; silent otherwise (pipes, CI, tests). */
export interface Progress {
  advance(by: number): void;
  stop(): void;
}

export function progress(
  label: string,
  total: number,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY || total <= 0) return { advance: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
    hideCursor: true,
    etaBuffer: 50,
  });
  const started = Date.now();
  bar.start(total, 0, { speed: 0 });
  let done = 0;
  return {
    advance(by) {
      done += by;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(Math.min(done, total), { speed: Math.round(done / seconds) });
    },
    stop: () => bar.stop(),
  };
}
