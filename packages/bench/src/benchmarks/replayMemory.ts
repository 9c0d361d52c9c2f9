import { type Benchmark, human, median, result } from '../benchmark.js';
import { type CaptureOptions, cachedCapture } from '../captureGenerator.js';
import { type PassKind, type PassResult, passInChild } from '../replay.js';

const FULL: CaptureOptions = { lines: 1_000_000, pairs: 10_000, seed: 1 };
const QUARTER: CaptureOptions = { lines: 250_000, pairs: 10_000, seed: 1 };

const MB = 1e6;

/** Each pass runs once per bench run and round, whichever benchmark asks first. */
const passes = new Map<string, Promise<PassResult>>();

function pass(
  kind: PassKind,
  options: CaptureOptions,
  log: (message: string) => void,
  round = 1,
): Promise<PassResult> {
  const id = `${kind}:${options.lines}:${options.pairs}:${options.seed}:${round}`;
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
        `${kind} of ${options.lines} lines${round > 1 ? ` (round ${round})` : ''}: ${r.seconds.toFixed(1)} s, ${human(r.lines / r.seconds)} lines/s, ` +
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

/** Rounds of the timed replay.memory passes: the machine's speed drifts by several % over minutes. */
const ROUNDS = 3;

const linesPerSecond = (r: PassResult) => r.lines / r.seconds;

/**
 * replay.memory: a 1M-line capture over 10,000 pairs streamed through Translator.line and StreamingReplay
 * (every pair folded, 8-day reorder window), against only JSON.parse-ing the same lines streamed the same
 * way. Each pass runs in a fresh process; the parse and replay passes alternate for ROUNDS rounds and each
 * side's median counts, so a drift of the machine's speed reaches both sides alike. The translation-only pass
 * (once) splits the time for the log. Unit: capture lines per second.
 */
export const replayMemory: Benchmark = {
  name: 'replay.memory',
  async run(log) {
    const parses: PassResult[] = [];
    const replays: PassResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      parses.push(await pass('parse', FULL, log, round));
      replays.push(await pass('replay', FULL, log, round));
    }
    const translate = await pass('translate', FULL, log);
    const parse = median(parses.map(linesPerSecond));
    const replay = median(replays.map(linesPerSecond));
    const parseSeconds = FULL.lines / parse;
    const replaySeconds = FULL.lines / replay;
    log(
      `replay.memory: of ${replaySeconds.toFixed(1)} s, about ${parseSeconds.toFixed(1)} s read and parse, ` +
        `${(translate.seconds - parseSeconds).toFixed(1)} s decode and translate, ` +
        `${(replaySeconds - translate.seconds).toFixed(1)} s fold (medians of ${ROUNDS}; ratios by round: ` +
        `${replays.map((r, i) => (linesPerSecond(r) / linesPerSecond(parses[i] as PassResult)).toFixed(3)).join(', ')})`,
    );
    return result(
      'replay.memory',
      'lines/s',
      Math.round(replay),
      Math.round(parse),
      `JSON.parse of the same lines, streamed the same way (medians of ${ROUNDS} alternating runs)`,
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
