import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinHeap } from './heap.js';
import {
  type Business,
  businessAt,
  businessCount,
  businessOfPair,
  HISTORY_START,
  userOfPair,
} from './identities.js';
import { deriveSeed, Random } from './random.js';
import { PairStory } from './story.js';
import {
  businessSetupLines,
  type CaptureLine,
  callbackSettingLines,
  lineText,
  type PairIds,
  storyLine,
} from './wireLines.js';

/**
 * A deterministic, realistic capture file: every pair's story (story.ts) rendered as Meta's webhooks and the
 * business's logged Graph API calls, merged in time order across pairs, with template creation and settings
 * lines per business, some webhooks arriving late (out of order) and some delivered twice (Meta retries).
 * Lines are produced one at a time: memory depends on the number of pairs, never on the number of lines.
 */
export interface CaptureOptions {
  readonly lines: number;
  readonly pairs: number;
  readonly seed: number;
}

/** Bump when the generated content changes, so cached files are regenerated. */
export const CAPTURE_GENERATOR_VERSION = 1;

const DAY = 86400;
/** Each pair has an episode (a message exchange, a request, a call, a check …) every two days on average. */
const MEAN_GAP_SECONDS = 2 * DAY;
/** Lines per episode, measured on generated captures: used only to place callback setting changes. */
const LINES_PER_EPISODE = 4.5;
/** Webhooks that arrive late, up to LATE_LINES lines after their place (minutes to hours of capture time). */
const OUT_OF_ORDER_SHARE = 0.01;
const LATE_LINES = 2000;
/** Webhooks that Meta delivers a second time, up to REDELIVERY_LINES lines later. */
const DUPLICATE_SHARE = 0.005;
const REDELIVERY_LINES = 5000;

const NAMES = ['Ana', 'Bruno', 'Chen', 'Dara', 'Emeka', 'Fatima', 'Giulia', 'Hiro', 'Ines', 'Jonas'];

/** A timeline the merge draws from: a pair's story, or a business's setup and setting changes. */
interface Timeline {
  readonly order: number;
  queue: CaptureLine[];
  next: number;
  /** More lines once the queue is used up; undefined when the timeline has ended. */
  readonly refill?: () => CaptureLine[];
}

function lineTime(line: CaptureLine): number {
  return line.kind === 'webhook' ? line.receivedAt : line.at;
}

function pairTimeline(
  options: CaptureOptions,
  index: number,
  business: Business,
  callbackOn: (at: number) => boolean,
): Timeline {
  const rng = new Random(deriveSeed(options.seed, index));
  const user = userOfPair(index);
  const ids: PairIds = { business, user, name: NAMES[index % NAMES.length] as string };
  const story = new PairStory(rng, HISTORY_START + rng.int(0, DAY), {
    user,
    meanGapSeconds: MEAN_GAP_SECONDS,
    callbackEnabledAt: callbackOn,
  });
  const refill = () => story.next().map((event) => storyLine(event, ids));
  return { order: index, queue: refill(), next: 0, refill };
}

/** A quarter of the business numbers turn callback permission off for 1–5 days somewhere in the history. */
function callbackSchedule(
  options: CaptureOptions,
  business: Business,
): { off: number; on: number } | undefined {
  const rng = new Random(deriveSeed(options.seed, 0x0b000000 + business.index));
  if (!rng.chance(0.25)) return undefined;
  const span = (options.lines / options.pairs / LINES_PER_EPISODE) * MEAN_GAP_SECONDS;
  const off = HISTORY_START + Math.round(span * (0.2 + 0.4 * rng.next()));
  return { off, on: off + rng.int(1, 5) * DAY };
}

/** The capture's lines, as NDJSON text without the newline, generated lazily. */
export function* captureLines(options: CaptureOptions): Generator<string> {
  const heap = new MinHeap<Timeline>();
  const businesses: Business[] = [];
  const schedules: ({ off: number; on: number } | undefined)[] = [];
  for (let b = 0; b < businessCount(options.pairs); b++) {
    const business = businessAt(b);
    const schedule = callbackSchedule(options, business);
    businesses.push(business);
    schedules.push(schedule);
    const queue = businessSetupLines(business, HISTORY_START - 3600);
    if (schedule)
      queue.push(
        ...callbackSettingLines(business, schedule.off, false),
        ...callbackSettingLines(business, schedule.on, true),
      );
    const timeline: Timeline = { order: -1 - b, queue, next: 0 };
    heap.push(lineTime(queue[0] as CaptureLine), timeline.order, timeline);
  }
  for (let i = 0; i < options.pairs; i++) {
    const b = businessOfPair(i, businesses.length);
    const schedule = schedules[b];
    const callbackOn = schedule ? (at: number) => at < schedule.off || at >= schedule.on : () => true;
    const timeline = pairTimeline(options, i, businesses[b] as Business, callbackOn);
    heap.push(lineTime(timeline.queue[0] as CaptureLine), timeline.order, timeline);
  }

  const rng = new Random(deriveSeed(options.seed, 0x0c000000));
  // Lines held back to be written later: late arrivals and redeliveries, keyed by the line count to write them at.
  const held = new MinHeap<CaptureLine>();
  let heldSeq = 0;
  let written = 0;
  let clock = HISTORY_START;
  while (written < options.lines) {
    const due = held.peekKey();
    if (due !== undefined && due <= written) {
      // Received now, whatever its payload's timestamps say.
      yield lineText(held.pop() as CaptureLine, clock);
      written++;
      continue;
    }
    const timeline = heap.pop();
    if (timeline === undefined) break;
    const line = timeline.queue[timeline.next++] as CaptureLine;
    if (timeline.next >= timeline.queue.length && timeline.refill) {
      timeline.queue = timeline.refill();
      timeline.next = 0;
    }
    const following = timeline.queue[timeline.next];
    if (following) heap.push(lineTime(following), timeline.order, timeline);

    if (line.kind === 'webhook' && rng.chance(OUT_OF_ORDER_SHARE)) {
      held.push(written + rng.int(1, LATE_LINES), heldSeq++, line);
      continue;
    }
    clock = Math.max(clock, lineTime(line));
    yield lineText(line);
    written++;
    if (line.kind === 'webhook' && rng.chance(DUPLICATE_SHARE))
      held.push(written + rng.int(1, REDELIVERY_LINES), heldSeq++, line);
  }
}

export interface CaptureFile {
  readonly path: string;
  readonly lines: number;
  readonly bytes: number;
  /** Seconds spent generating; 0 when the file came from the cache. */
  readonly seconds: number;
}

/** Writes the capture to `path` (through a temporary file, so a cut-short run never leaves a partial one). */
export function writeCapture(options: CaptureOptions, path: string): CaptureFile {
  const start = process.hrtime.bigint();
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  let lines = 0;
  let bytes = 0;
  let chunk: string[] = [];
  let chunkLength = 0;
  const flush = () => {
    const text = chunk.join('');
    bytes += writeSync(fd, text);
    chunk = [];
    chunkLength = 0;
  };
  try {
    for (const line of captureLines(options)) {
      chunk.push(line, '\n');
      chunkLength += line.length + 1;
      lines++;
      if (chunkLength >= 1 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  return { path, lines, bytes, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** bench-data/ at the repository root (git-ignored). */
export const BENCH_DATA = fileURLToPath(new URL('../../../bench-data/', import.meta.url));

export function captureFileName(options: CaptureOptions): string {
  return `capture-v${CAPTURE_GENERATOR_VERSION}-l${options.lines}-p${options.pairs}-s${options.seed}.ndjson`;
}

/** The capture for these options from bench-data/, generated on first use. */
export function cachedCapture(options: CaptureOptions, dir: string = BENCH_DATA): CaptureFile {
  const path = join(dir, captureFileName(options));
  if (existsSync(path)) return { path, lines: options.lines, bytes: 0, seconds: 0 };
  mkdirSync(dir, { recursive: true });
  return writeCapture(options, path);
}
