import { Translator } from '@callpermit/cloud-api';
import { Engine } from '@callpermit/core';
import {
  emptyCounts,
  ingestLines,
  openStoreOption,
  POLICY_SETTING,
  readPolicyFile,
  type StoreFlags,
  storePolicy,
  tally,
  translateInboxEntry,
} from '@callpermit/service';
import type { InboxEntry, InboxOutcome } from '@callpermit/store';
import { Command } from 'commander';
import { progress } from '../progress.js';
import type { CliIo } from './query.js';

interface RebuildOptions extends StoreFlags {
  policy?: string;
  json?: boolean;
}

const BATCH = 1000;

/**
 * `callpermit rebuild`: re-derives every fact from the inbox (after a rule fix or a policy change) in one
 * transaction: the old log stays until the new one is complete. Each inbox entry's outcome is updated.
 */
export function rebuildCommand(io: CliIo): Command {
  return new Command('rebuild')
    .description('re-derive all facts from the inbox, atomically (after a rule fix or a policy change)')
    .option('--db <dir>', 'embedded store directory (PGlite; default .callpermit/db)')
    .option('--database-url <url>', 'PostgreSQL URL (or set CALLPERMIT_DATABASE_URL)')
    .option(
      '--policy <file>',
      'policy file (JSON; docs/policy.md) to fold under from now on, kept with the store',
    )
    .option('--json', 'print the counts as one JSON object')
    .action(async (options: RebuildOptions) => {
      const given = options.policy === undefined ? undefined : await readPolicyFile(options.policy);
      const store = await openStoreOption(options);
      const counts = emptyCounts();
      try {
        const before = await store.inbox.counts();
        const bar = progress(
          'rebuild',
          before.applied + before.duplicate + before.ignored + before.rejected,
          'lines',
        );
        try {
          const policy = given?.book ?? (await storePolicy(store, undefined, true)).book;
          await store.rebuild(async (fresh, inbox, settings) => {
            if (given) await settings.put(POLICY_SETTING, given.json);
            const engine = new Engine(fresh, { policy });
            const translator = new Translator();
            let batch: InboxEntry[] = [];
            const flush = async () => {
              const lines = batch.map((entry) => translateInboxEntry(entry, translator));
              const results = await ingestLines(engine, lines);
              const updates: { id: number; outcome: InboxOutcome; reason?: string }[] = [];
              for (const [i, entry] of batch.entries()) {
                const r = results[i] as (typeof results)[number];
                tally(counts, r);
                if (r.outcome !== entry.outcome || (r.reason ?? null) !== entry.reason) {
                  updates.push(
                    r.reason === undefined
                      ? { id: entry.id, outcome: r.outcome }
                      : { id: entry.id, outcome: r.outcome, reason: r.reason },
                  );
                }
              }
              await inbox.reclassify(updates);
              bar.advance(batch.length);
              batch = [];
            };
            for await (const entry of inbox.iterate({ pageSize: BATCH })) {
              batch.push(entry);
              if (batch.length >= BATCH) await flush();
            }
            if (batch.length > 0) await flush();
          });
        } finally {
          bar.stop();
        }
      } finally {
        await store.close();
      }
      if (options.json) io.stdout(JSON.stringify(counts));
      else {
        io.stdout(
          `rebuilt ${store.location} from ${counts.lines} inbox entries: ${counts.applied} applied, ` +
            `${counts.duplicates} duplicates, ${counts.ignored} ignored, ${counts.rejected} rejected`,
        );
      }
    });
}
