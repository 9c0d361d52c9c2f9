// `callpermit changes`: the change feed's list over a history (docs/changes.md), computed with core's own
// function (`changesBetween`) from the pairs' facts, so a capture and a store holding the same history list the
// same changes, with the same ids.
import { isoInstant } from '@callpermit/cloud-api';
import {
  businessIdProblem,
  changesBetween,
  type Engine,
  type Instant,
  type PairChange,
  type PairFact,
  pairProblem,
  pairStreamId,
  parseStreamId,
} from '@callpermit/core';
import Table from 'cli-table3';
import { Command } from 'commander';
import { CliFailure } from '../failure.js';
import type { Selection } from '../history.js';
import { timeOption } from '../options.js';
import { type CliIo, openHistory, type QueryOptions } from './query.js';

interface ChangesOptions extends Omit<QueryOptions, 'business' | 'user' | 'at'> {
  business?: string;
  user?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

/** The pair streams of the selection, sorted: one read of the stream list unless both ids are given. */
async function selectedStreams(engine: Engine, selection: Selection): Promise<string[]> {
  const { business, user } = selection;
  if (business !== undefined && user !== undefined) return [pairStreamId({ business, user })];
  const streams = await engine.store.streams();
  return streams
    .filter((s) => {
      const pair = parseStreamId(s);
      return (
        pair.user !== '' &&
        (business === undefined || pair.business === business) &&
        (user === undefined || pair.user === user)
      );
    })
    .sort();
}

/**
 * The changes of the selected pairs' views in (`since`, `until`], each pair's by `changesBetween` over its
 * facts under its business's rules, merged by instant (a pair's own order kept; pairs in stream order at one
 * instant). Without `until`, every change there will be: time alone changes a view finitely often after its
 * last fact (expiries, limit windows), so the list ends.
 */
export async function listChanges(
  engine: Engine,
  selection: Selection,
  since: Instant = Number.NEGATIVE_INFINITY,
  until: Instant = Number.POSITIVE_INFINITY,
): Promise<PairChange[]> {
  const out: PairChange[] = [];
  for (const stream of await selectedStreams(engine, selection)) {
    const pair = parseStreamId(stream);
    const facts = (await engine.store.factsOf(stream)) as PairFact[];
    if (facts.length === 0) continue;
    const env = await engine.ruleEnv(pair.business);
    out.push(...changesBetween(pair, facts, until, env, since));
  }
  // Array.prototype.sort is stable: each pair's changes keep their order.
  return out.sort((a, b) => a.at - b.at);
}

const when = (at: Instant | undefined) => (at === undefined ? '' : isoInstant(at));

/** What a change says, in a few words: the new value it carries. */
export function changeDetail(c: PairChange): string {
  const d = c.data as unknown as Record<string, unknown>;
  const until = (key: string, word: string) =>
    typeof d[key] === 'number' ? `${word} ${when(d[key] as Instant)}` : '';
  const parts: string[] = [];
  switch (c.kind.split('.')[0]) {
    case 'permission':
      if (c.kind === 'permission.declined') parts.push(`request ${d.request_id}`);
      else if (c.kind === 'permission.reconsider_prompt') parts.push(`after call ${d.call_id}`);
      else {
        parts.push(String(d.status));
        parts.push(until('expires_at', 'until'));
        if (d.via !== undefined) parts.push(`via ${d.via}`);
        if (d.by !== undefined) parts.push(`by ${d.by}`);
      }
      break;
    case 'request':
      parts.push(until('expires_at', 'expires'));
      break;
    case 'call_limit':
    case 'request_limit':
    case 'customer_service_window':
      parts.push(until('until', 'until'));
      break;
    case 'change':
      parts.push(`retracts ${d.retracts} (${d.kind})`);
      break;
  }
  return parts.filter((p) => p !== '').join(' ');
}

const causeText = (c: PairChange) =>
  c.cause.kind === 'fact' ? `${c.cause.type} ${c.cause.key}` : c.cause.kind;

/** The readable list: one row per change, no borders, so it greps and reads like a log. */
export function changesTable(changes: readonly PairChange[]): string {
  const table = new Table({
    head: ['at', 'business', 'user', 'kind', 'subject', 'detail', 'cause'],
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
  });
  for (const c of changes)
    table.push([
      isoInstant(c.at),
      c.business,
      c.user,
      c.kind,
      c.subject ?? '',
      changeDetail(c),
      causeText(c),
    ]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

function checkSelection(selection: Selection): void {
  const { business, user } = selection;
  if (business !== undefined && user !== undefined) {
    const problem = pairProblem({ business, user });
    if (problem !== undefined)
      throw new CliFailure(
        `${problem.field === 'pair.business' ? '--business' : '--user'} ${JSON.stringify(
          problem.field === 'pair.business' ? business : user,
        )}: ${problem.reason}`,
      );
  } else if (business !== undefined) {
    const problem = businessIdProblem(business);
    if (problem !== undefined) throw new CliFailure(`--business ${JSON.stringify(business)}: ${problem}`);
  }
}

/** `callpermit changes`: the changes of the pairs' views over a history, as a table or JSON lines. */
export function changesCommand(io: CliIo): Command {
  return new Command('changes')
    .description(
      "list the changes of the pairs' permissions, requests, limits and windows over a history (docs/changes.md)",
    )
    .option('--from <file>', 'capture file (NDJSON) to fold in memory; - reads stdin')
    .option('--db <dir>', 'embedded store directory (PGlite), as filled by `callpermit replay`')
    .option('--database-url <url>', 'PostgreSQL URL (or set CALLPERMIT_DATABASE_URL)')
    .option('--business <phone_number_id>', "only this business number's pairs")
    .option('--user <wa_id>', "only this user's pairs")
    .option('--since <time>', 'only changes after this instant: ISO-8601 or Unix seconds')
    .option(
      '--until <time>',
      'only changes up to this instant (default: no bound, so time-driven changes after the last fact are listed)',
    )
    .option('--policy <file>', "policy file (JSON; docs/policy.md); with a store, must be the store's")
    .option('--strict', 'fail (exit 2) on any bad capture line instead of skipping it')
    .option('--json', 'one JSON object per line per change, as the feed delivers it (without its seq)')
    .action(async (options: ChangesOptions) => {
      const selection: Selection = { business: options.business, user: options.user };
      checkSelection(selection);
      const since = timeOption(options.since, '--since');
      const until = timeOption(options.until, '--until');
      if (since !== undefined && until !== undefined && until <= since)
        throw new CliFailure('--until must be after --since');
      const history = await openHistory(options, selection, io);
      try {
        const changes = await listChanges(history.engine, selection, since, until);
        if (options.json) for (const c of changes) io.stdout(JSON.stringify(c));
        else if (changes.length === 0) io.stderr('no changes');
        else io.stdout(changesTable(changes));
      } finally {
        await history.close();
      }
    });
}
