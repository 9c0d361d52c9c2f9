import { type Benchmark, human, result } from '../benchmark.js';
import { type CaptureOptions, cachedCapture } from '../captureGenerator.js';
import { type PassKind, type PassResult, passInChild } from '../replay.js';

const FULL: CaptureOptions = { lines: 1_000_000, pairs: 10_000, seed: 1 };
const QUARTER: CaptureOptions = { lines: 250_000, pairs: 10_000, seed: 1 };

const MB = 1e6;

/** Each pass runs once per bench run, whichever benchmark asks first (the 1M-line replay is the slow one). */
const passes = new Map<string, Promise<PassResult>>();

function pass(kind: PassKind, options: CaptureOptions, log: (message: string) => void): Promise<PassResult> {
  const id = `${kind}:${options.lines}:${options.pairs}:${options.seed}`;
  let running = passes.get(id);
  if (running === undefined) {
    running = (async () => {
      const file = cachedCapture(options);
      if (file.seconds > 0)
        log(
          `capture: generated ${file.lines} lines (${(file.bytes / MB).toFixed(0)} MB) in ${file.seconds.toFixed(1)} s → ${file.path}`,
        );
      const r = await passInChild(kind, file.path);
      log(
        `${kind} of ${options.lines} lines: ${r.seconds.toFixed(1)} s, ${human(r.lines / r.seconds)} lines/s, ` +
          `peak RSS ${(r.peakRss / MB).toFixed(0)} MB, live heap at the end ${(r.heapAfterGc / MB).toFixed(0)} MB` +
          (kind === 'parse'
            ? ''
            : `, ${r.facts} facts, ${r.rejectedLines} lines rejected` +
              (kind === 'replay'
                ? `; engine: ${r.applied} applied, ${r.duplicates} duplicates, ${r.rejectedFacts} refused, ${r.streams} streams`
                : '')),
      );
      if (r.lines !== options.lines) throw new Error(`${kind} read ${r.lines} lines of ${options.lines}`);
      return r;
    })();
    passes.set(id, running);
  }
  return running;
}

/**
 * replay.memory: a 1M-line capture over 10,000 pairs streamed through Translator.line and Engine.ingest
 * (batches of 5,000 lines) over an in-memory store with an 8-day horizon, against only JSON.parse-ing the
 * same lines streamed the same way. Each pass runs in a fresh process. Unit: capture lines per second.
 */
export const replayMemory: Benchmark = {
  name: 'replay.memory',
  async run(log) {
    const parse = await pass('parse', FULL, log);
    const translate = await pass('translate', FULL, log);
    const replay = await pass('replay', FULL, log);
    log(
      `replay.memory: of ${replay.seconds.toFixed(1)} s, about ${parse.seconds.toFixed(1)} s read and parse, ` +
        `${(translate.seconds - parse.seconds).toFixed(1)} s decode and translate, ` +
        `${(replay.seconds - translate.seconds).toFixed(1)} s ingest (fold and store)`,
    );
    return result(
      'replay.memory',
      'lines/s',
      Math.round(replay.lines / replay.seconds),
      Math.round(parse.lines / parse.seconds),
      'JSON.parse of the same lines, streamed the same way',
    );
  },
};

/**
 * replay.memory.heap: does memory follow the file? The replay's peak live heap (sampled after full garbage
 * collections, in a separate untimed pass) over a 250k-line capture divided by the same over the 1M-line one
 * (same 10,000 pairs, four times the history): 1 when memory does not grow with the file, 0.25 when it grows
 * in proportion. Peak RSS also goes to stderr: it includes garbage V8 has not collected yet.
 */
export const replayMemoryHeap: Benchmark = {
  name: 'replay.memory.heap',
  async run(log) {
    const quarter = await pass('replay-live', QUARTER, log);
    const full = await pass('replay-live', FULL, log);
    log(
      `replay.memory.heap: peak live heap ${(quarter.peakLiveHeap / MB).toFixed(0)} MB over ${QUARTER.lines} lines, ` +
        `${(full.peakLiveHeap / MB).toFixed(0)} MB over ${FULL.lines} lines; peak RSS ` +
        `${(quarter.peakRss / MB).toFixed(0)} MB and ${(full.peakRss / MB).toFixed(0)} MB`,
    );
    return result(
      'replay.memory.heap',
      'peak live heap at 250k lines ÷ at 1M lines (1 = flat)',
      Math.round((quarter.peakLiveHeap / full.peakLiveHeap) * 1000) / 1000,
      1,
      'flat memory: the target',
    );
  },
};
