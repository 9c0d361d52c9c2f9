import { createWriteStream, type WriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { openStoreOption, POLICY_SETTING, type StoreFlags, storePolicy } from '@callpermit/service';
import { isPgliteCacheMb, LIMITS_ENV, PGLITE_CACHE_MB } from '@callpermit/store';
import { Command } from 'commander';
import { assertReadable, type TranslatedLine } from '../capture.js';
import { CliFailure, Exit } from '../failure.js';
import { progress } from '../progress.js';
import {
  BULK_REPLAY_LINES,
  REPLAY_CACHE_MB,
  type ReplayTotals,
  replayCacheMb,
  replayCaptures,
} from '../replayer.js';
import type { CliIo } from './query.js';

interface ReplayOptions extends StoreFlags {
  cacheMb?: number;
  policy?: string;
  json?: boolean;
  batchLines: number;
}

/** `--batch-lines`: a whole number of lines, at least 1. */
function batchLines(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new CliFailure(
      `--batch-lines ${JSON.stringify(text)}: expected a whole number of lines, at least 1`,
    );
  return n;
}

/** `--cache-mb`: whole megabytes PGlite can be given. */
function cacheMb(text: string): number {
  const n = Number(text);
  if (!isPgliteCacheMb(n))
    throw new CliFailure(
      `--cache-mb ${JSON.stringify(text)}: expected whole megabytes from ${PGLITE_CACHE_MB.min} to ${PGLITE_CACHE_MB.max}`,
    );
  return n;
}

/** Bad lines of one capture file, kept verbatim beside it: `FILE.rejects.ndjson`. */
class RejectsFile {
  private stream: WriteStream | undefined;
  constructor(readonly path: string) {}

  get used(): boolean {
    return this.stream !== undefined;
  }

  write(line: TranslatedLine, reason: string): void {
    this.stream ??= createWriteStream(this.path);
    this.stream.write(`${JSON.stringify({ line: line.lineNo, reason, raw: line.raw })}\n`);
  }

  async close(): Promise<void> {
    if (!this.stream) {
      // No bad line this time: a rejects file from an earlier replay of this file would mislead.
      await rm(this.path, { force: true });
      return;
    }
    const stream = this.stream;
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}

async function totalBytes(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const file of files) if (file !== '-') total += (await stat(file)).size;
  return total;
}

/**
 * `callpermit replay FILE…`: streams captures into the store in batched transactions. Each batch's facts and
 * its lines (verbatim, with their outcome, in the inbox) commit together, so a replay killed at any point and
 * run again ends in the state of one clean replay.
 */
export function replayCommand(io: CliIo): Command {
  return new Command('replay')
    .description('stream capture files (NDJSON) into the store, in batched transactions')
    .argument('<files...>', 'capture files; - reads stdin')
    .option('--db <dir>', 'embedded store directory (PGlite; default .callpermit/db)')
    .option('--database-url <url>', 'PostgreSQL URL (or set CALLPERMIT_DATABASE_URL)')
    .option(
      '--policy <file>',
      "policy file (JSON; docs/policy.md), kept with the store; must match the store's",
    )
    .option('--json', 'print the counts and throughput as one JSON object')
    .option(
      '--batch-lines <n>',
      'lines per transaction: fewer hold the commit lock for less time, more are faster',
      batchLines,
      BULK_REPLAY_LINES,
    )
    .option(
      '--cache-mb <n>',
      `the embedded database's buffer cache in megabytes (default: a quarter of the memory, ${REPLAY_CACHE_MB.least}–${REPLAY_CACHE_MB.most}, unless ${LIMITS_ENV.cacheMb} is set)`,
      cacheMb,
    )
    .action(async (files: string[], options: ReplayOptions) => {
      for (const file of files) await assertReadable(file);
      const store = await openStoreOption(options, { cacheMb: replayCacheMb() });
      const before = await store.inbox.counts();
      const empty = before.applied + before.duplicate + before.ignored + before.rejected === 0;
      const { book: policy, save } = await storePolicy(store, options.policy, empty).catch(
        async (error: unknown) => {
          await store.close();
          throw error;
        },
      );
      if (save !== undefined)
        await store.atomically((_facts, _inbox, settings) => settings.put(POLICY_SETTING, save));
      const rejects = new Map<string, RejectsFile>(
        files.map((f) => [
          f === '-' ? 'stdin' : f,
          new RejectsFile(`${f === '-' ? 'stdin' : f}.rejects.ndjson`),
        ]),
      );
      const bar = progress('replay', await totalBytes(files), 'bytes');
      let totals: ReplayTotals;
      const started = process.hrtime.bigint();
      try {
        totals = await replayCaptures(
          store,
          files,
          policy,
          (line, result, bytes) => {
            if (result.outcome === 'rejected') {
              const reason = result.reason ?? `${line.file}:${line.lineNo}: rejected`;
              io.stderr(reason);
              rejects.get(line.file)?.write(line, reason);
            }
            bar.advance(bytes, 1);
          },
          { batchLines: options.batchLines },
        );
      } finally {
        bar.stop();
        for (const r of rejects.values()) await r.close();
        await store.close();
      }
      // The printed counts are the documented ones (docs/cli.md); the changes told are the feed's business.
      const { facts, changes: _changes, ...counts } = totals;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rate = (n: number) => Math.round(n / Math.max(seconds, 1e-3));
      if (options.json) {
        io.stdout(
          JSON.stringify({
            ...counts,
            facts,
            elapsed_seconds: Math.round(seconds * 1000) / 1000,
            lines_per_second: rate(counts.lines),
            facts_per_second: rate(facts),
          }),
        );
      } else {
        io.stdout(
          `replayed ${counts.lines} lines into ${store.location}: ${counts.applied} applied, ${counts.duplicates} duplicates, ` +
            `${counts.ignored} ignored, ${counts.rejected} rejected; ${facts} facts stored in ${seconds.toFixed(1)} s ` +
            `(${rate(counts.lines)} lines/s, ${rate(facts)} facts/s)`,
        );
      }
      if (counts.rejected > 0) {
        throw new CliFailure(
          `${counts.rejected} line(s) rejected; kept in the inbox and in ${[...rejects.values()]
            .filter((r) => r.used)
            .map((r) => r.path)
            .join(', ')}`,
          Exit.rejectedLines,
        );
      }
    });
}
