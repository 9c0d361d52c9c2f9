import { writeFile } from 'node:fs/promises';
import { isoInstant, refusedCall } from '@callpermit/cloud-api';
import type { Engine, Instant, Pair, PolicyBook } from '@callpermit/core';
import { refusalsInInbox } from '@callpermit/service';
import type { SqlStore } from '@callpermit/store';
import { buildTimeline, type RefusalMark, timelinePage } from '@callpermit/timeline';
import { Command } from 'commander';
import { CliFailure } from '../failure.js';
import { timeOption } from '../options.js';
import { type CliIo, openHistory, type QueryOptions } from './query.js';
import { runScenarioFile } from './simulate.js';

interface TimelineOptions extends Omit<QueryOptions, 'business' | 'user' | 'at'> {
  business?: string;
  user?: string;
  since?: string;
  until?: string;
  html: string;
}

interface Source {
  readonly engine: Engine;
  readonly requestNames?: ReadonlyMap<string, string>;
  readonly lastInstant?: Instant;
  readonly policy: PolicyBook;
  readonly pair: Pair;
  readonly refusals: RefusalMark[];
  readonly title: string;
  close(): Promise<void>;
}

const toMark = (r: NonNullable<ReturnType<typeof refusedCall>>, source: string): RefusalMark => ({
  at: r.at,
  action: r.action,
  code: r.code,
  title: r.message,
  source,
});

/** A scenario's history: its decisions are the refusals. */
async function fromScenario(file: string, options: TimelineOptions): Promise<Source> {
  const sim = await runScenarioFile(file, options.policy);
  const pair = { business: options.business ?? sim.pair.business, user: options.user ?? sim.pair.user };
  const refusals = sim.actions
    .filter((a) => a.refusal && a.pair.business === pair.business && a.pair.user === pair.user)
    .map((a) => ({
      at: a.at,
      action:
        a.command.type === 'StartCall' ? ('start_call' as const) : ('send_call_permission_request' as const),
      code: a.refusal?.code ?? 0,
      title: a.refusal?.title ?? '',
      source: `${file} step ${a.step + 1}: ${a.name}`,
    }));
  return {
    engine: sim.engine,
    policy: sim.policy,
    pair,
    refusals,
    title: sim.scenario.data.scenario,
    lastInstant: sim.steps.at(-1)?.end ?? sim.start,
    requestNames: new Map(
      sim.actions.flatMap((a) =>
        a.command.type === 'SendPermissionRequest' ? [[a.command.requestId, a.name] as const] : [],
      ),
    ),
    close: async () => {},
  };
}

/**
 * A capture or a store: refusals are the Graph calls Meta answered with an error (a capture's lines; a
 * store's inbox, which keeps every line verbatim).
 */
async function fromHistory(options: TimelineOptions, io: CliIo): Promise<Source> {
  if (options.business === undefined || options.user === undefined)
    throw new CliFailure('--business and --user are required (except with a scenario, which names its pair)');
  const pair = { business: options.business, user: options.user };
  const refusals: RefusalMark[] = [];
  const history = await openHistory(options, pair, io, (line, templates) => {
    if (line.outcome.kind === 'rejected') return;
    const refused = refusedCall(JSON.parse(line.raw), templates);
    if (refused && refused.pair.business === pair.business && refused.pair.user === pair.user)
      refusals.push(toMark(refused, `${line.file}:${line.lineNo}`));
  });
  if (options.from === undefined)
    refusals.push(...(await refusalsInInbox(history.engine.store as SqlStore, pair)));
  return { ...history, pair, refusals, title: `${pair.business} / ${pair.user}` };
}

/** `callpermit timeline`: one self-contained HTML page of a pair's history. */
export function timelineCommand(io: CliIo): Command {
  return new Command('timeline')
    .description(
      "write a pair's history as one self-contained HTML page (permission, requests, usage, calls, refusals)",
    )
    .argument('[scenario]', 'a scenario file (docs/simulation.md) to run and draw')
    .option('--from <file>', 'capture file (NDJSON)')
    .option('--db <dir>', 'embedded store directory (PGlite)')
    .option('--database-url <url>', 'PostgreSQL URL (or set CALLPERMIT_DATABASE_URL)')
    .option('--business <phone_number_id>', 'the business phone number id (a scenario names its own)')
    .option('--user <wa_id>', "the user's wa_id (a scenario names its own)")
    .option('--since <time>', 'start of the timeline: ISO-8601 or Unix seconds (default: the first fact)')
    .option('--until <time>', 'end of the timeline (default: the last fact, and the expiries after it)')
    .option('--policy <file>', 'policy file (JSON); with a store, must be the store’s')
    .option('--strict', 'fail (exit 2) on any bad capture line instead of skipping it')
    .requiredOption('--html <file>', 'the HTML file to write')
    .action(async (scenario: string | undefined, options: TimelineOptions) => {
      const given = [scenario, options.from, options.db, options.databaseUrl].filter((x) => x !== undefined);
      if (given.length > 1)
        throw new CliFailure('give one history: a scenario, --from, --db or --database-url');
      const source =
        scenario !== undefined ? await fromScenario(scenario, options) : await fromHistory(options, io);
      try {
        const since = timeOption(options.since, '--since');
        const until = timeOption(options.until, '--until');
        if (since !== undefined && until !== undefined && until <= since)
          throw new CliFailure('--until must be after --since');
        const model = await buildTimeline({
          engine: source.engine,
          pair: source.pair,
          policy: source.policy,
          refusals: source.refusals,
          ...(source.lastInstant === undefined ? {} : { lastInstant: source.lastInstant }),
          ...(source.requestNames === undefined ? {} : { requestNames: source.requestNames }),
          ...(since === undefined ? {} : { since }),
          ...(until === undefined ? {} : { until }),
        });
        await writeFile(options.html, timelinePage(model, `callpermit timeline: ${source.title}`));
        io.stderr(
          `wrote ${options.html}: ${isoInstant(model.from)} → ${isoInstant(model.to)}, ${model.requests.length} request(s), ${model.calls.length} call(s), ${model.refusals.length} refusal(s)`,
        );
      } finally {
        await source.close();
      }
    });
}
