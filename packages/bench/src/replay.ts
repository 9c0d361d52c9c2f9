import { fork } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readCaptureLines, Translator } from '@callpermit/cloud-api';
import { StreamingReplay } from '@callpermit/core';

/** What one pass over a capture measured, in a fresh process. */
export interface PassResult {
  readonly lines: number;
  readonly seconds: number;
  /** Highest resident set size sampled during the pass (bytes). */
  readonly peakRss: number;
  /** Live JS heap after a full garbage collection at the end, with what the pass built still held (bytes). */
  readonly heapAfterGc: number;
  /** Highest live heap (after a full collection) sampled every LIVE_SAMPLE_LINES lines: replay-live only. */
  readonly peakLiveHeap: number;
  /** Streams the engine's store holds at the end (replay only). */
  readonly streams: number;
  readonly facts: number;
  readonly applied: number;
  readonly duplicates: number;
  readonly rejectedLines: number;
  readonly rejectedFacts: number;
}

export type PassKind = 'replay' | 'replay-live' | 'translate' | 'parse';

/** The memory pass collects garbage this often to see what the replay really holds (not timed). */
export const LIVE_SAMPLE_LINES = 25_000;

/** How often (in lines) a pass samples its resident set size. */
export const SAMPLE_LINES = 5000;

function lines(path: string) {
  return readCaptureLines(createReadStream(path, { highWaterMark: 1 << 20 }));
}

/**
 * The capture replayed in memory: lines → Translator.line → StreamingReplay, which folds every pair with an
 * 8-day reorder window, so memory follows the pairs and the window, not the file. At the end every pair's
 * state is folded to the last fact.
 */
export async function replayPass(path: string, sampleLive = false): Promise<PassResult> {
  const translator = new Translator();
  const replay = new StreamingReplay();
  let count = 0;
  let facts = 0;
  let applied = 0;
  let duplicates = 0;
  let rejectedLines = 0;
  let rejectedFacts = 0;
  let peakRss = process.memoryUsage.rss();
  let peakLiveHeap = 0;
  const start = process.hrtime.bigint();
  for await (const { lineNo, raw } of lines(path)) {
    count++;
    const outcome = translator.line(raw, `capture:${lineNo}`);
    if (outcome.kind === 'rejected') rejectedLines++;
    else {
      for (const fact of outcome.facts) {
        if (replay.add(fact) === 'buffered') applied++;
        else rejectedFacts++;
      }
      facts += outcome.facts.length;
    }
    if (count % SAMPLE_LINES === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (sampleLive && count % LIVE_SAMPLE_LINES === 0) peakLiveHeap = Math.max(peakLiveHeap, liveHeap());
  }
  let streams = 0;
  for (const _ of replay.states()) streams++;
  duplicates = replay.duplicates;
  applied -= duplicates;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const heapAfterGc = liveHeap();
  // Used after the measurement, so the replay was alive during it.
  if (replay.pairCount !== streams) throw new Error('the replay lost pairs');
  return {
    lines: count,
    seconds,
    peakRss,
    heapAfterGc,
    peakLiveHeap: Math.max(peakLiveHeap, heapAfterGc),
    streams,
    facts,
    applied,
    duplicates,
    rejectedLines,
    rejectedFacts,
  };
}

/** For information: the translation alone (JSON.parse and decoding included), without the engine. */
export async function translatePass(path: string): Promise<PassResult> {
  const translator = new Translator();
  let count = 0;
  let facts = 0;
  let rejectedLines = 0;
  let peakRss = process.memoryUsage.rss();
  const start = process.hrtime.bigint();
  for await (const { lineNo, raw } of lines(path)) {
    count++;
    const outcome = translator.line(raw, `capture:${lineNo}`);
    if (outcome.kind === 'rejected') rejectedLines++;
    else facts += outcome.facts.length;
    if (count % SAMPLE_LINES === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return withoutFold({ lines: count, seconds, peakRss, facts, rejectedLines });
}

/** The baseline: the same lines streamed the same way, only JSON.parse-d. */
export async function parsePass(path: string): Promise<PassResult> {
  let count = 0;
  let kinds = 0;
  let peakRss = process.memoryUsage.rss();
  const start = process.hrtime.bigint();
  for await (const { raw } of lines(path)) {
    count++;
    // Touch the result so the parse cannot be optimised away.
    if ((JSON.parse(raw) as { kind?: string }).kind === 'webhook') kinds++;
    if (count % SAMPLE_LINES === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return withoutFold({ lines: count, seconds, peakRss, facts: kinds, rejectedLines: 0 });
}

/** The result of a pass that folds nothing: no streams, nothing applied; the live heap read now. */
function withoutFold(
  measured: Pick<PassResult, 'lines' | 'seconds' | 'peakRss' | 'facts' | 'rejectedLines'>,
): PassResult {
  return {
    ...measured,
    heapAfterGc: liveHeap(),
    peakLiveHeap: Number.NaN,
    streams: 0,
    applied: 0,
    duplicates: 0,
    rejectedFacts: 0,
  };
}

/** The heap still in use once garbage is collected (the child runs with --expose-gc); NaN without gc(). */
function liveHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return Number.NaN;
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs one pass in a fresh Node process, so its peak RSS and its JIT state are its own. */
export function passInChild(kind: PassKind, path: string): Promise<PassResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./replayChild.js', import.meta.url), [kind, path], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: PassResult | undefined;
    child.on('message', (message) => {
      result = message as PassResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`${kind} pass over ${path} failed (exit code ${code})`));
    });
  });
}
