import { existsSync } from 'node:fs';
import { type Pair, type PairState, pairProblem } from '@callpermit/core';
import { openStoreOption, type StoreFlags } from '@callpermit/service';
import { DATABASE_URL_ENV, defaultDataDir } from '@callpermit/store';
import { Command } from 'commander';
import { CliFailure } from '../failure.js';
import { type History, historyFromCapture, historyFromStore } from '../history.js';
import { instantOption, policyOption, systemNow } from '../options.js';

export interface QueryOptions extends StoreFlags {
  from?: string;
  business: string;
  user: string;
  at?: string;
  policy?: string;
  strict?: boolean;
}

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly now: () => number;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  now: systemNow,
};

/** The options `state` and `requests` share: where the history is, which pair, which instant. */
export function queryCommand(name: string, summary: string): Command {
  return new Command(name)
    .description(summary)
    .option('--from <file>', 'capture file (NDJSON) to fold in memory; - reads stdin')
    .option('--db <dir>', 'embedded store directory (PGlite), as filled by `callpermit replay`')
    .option('--database-url <url>', 'PostgreSQL URL (or set CALLPERMIT_DATABASE_URL)')
    .requiredOption('--business <phone_number_id>', 'the business phone number id')
    .requiredOption('--user <wa_id>', "the user's wa_id (or business-scoped user id)")
    .option('--at <time>', 'the instant to answer for: ISO-8601 or Unix seconds (default: now)')
    .option('--policy <file>', "policy file (JSON; docs/policy.md); with a store, must be the store's")
    .option('--strict', 'fail (exit 2) on any bad capture line instead of skipping it');
}

/** Opens the history the options name and runs `answer` on the pair at the instant. */
export async function runQuery(
  options: QueryOptions,
  io: CliIo,
  answer: (history: History, pair: Pair, at: number) => Promise<unknown>,
): Promise<void> {
  const at = instantOption(options.at, io.now);
  const pair = { business: options.business, user: options.user };
  const problem = pairProblem(pair);
  if (problem !== undefined) {
    const flag = problem.field === 'pair.business' ? '--business' : '--user';
    throw new CliFailure(
      `${flag} ${JSON.stringify(options[flag === '--business' ? 'business' : 'user'])}: ${problem.reason}`,
    );
  }
  const history = await openHistory(options, pair, io);
  try {
    io.stdout(JSON.stringify(await answer(history, pair, at), null, 2));
  } finally {
    await history.close();
  }
}

/** The history the options name: a capture file (`--from`), else a store (`--db`, `--database-url`, env). */
export async function openHistory(
  options: QueryOptions,
  pair: Pair,
  io: CliIo,
  onLine?: Parameters<typeof historyFromCapture>[5],
): Promise<History> {
  const stores = [options.db, options.databaseUrl].filter((x) => x !== undefined).length;
  if (options.from !== undefined && stores > 0)
    throw new CliFailure('give --from or a store (--db, --database-url), not both');
  if (options.from !== undefined) {
    const policy = await policyOption(options.policy);
    return historyFromCapture(options.from, pair, policy, options.strict === true, io.stderr, onLine);
  }
  if (stores === 0 && !process.env[DATABASE_URL_ENV] && !existsSync(defaultDataDir())) {
    throw new CliFailure('say where the history is: --from FILE, --db DIR or --database-url URL');
  }
  if (options.db !== undefined && !existsSync(options.db))
    throw new CliFailure(`--db ${options.db}: no such store (run callpermit replay first)`);
  return historyFromStore(await openStoreOption(options), options.policy);
}

/**
 * Where Meta's own GET disagreed with callpermit (Meta won), and answers a request's lifecycle could not take
 * (the request had ended): shown on stderr.
 */
export function reportDiscrepancies(state: PairState, io: CliIo): void {
  for (const d of state.discrepancies) {
    io.stderr(
      d.origin === 'lifecycle'
        ? `note: at ${d.at} an answer made ${d.field} ${d.meta}, but the request was ${d.ours} and stays so`
        : `note: Meta's call_permissions at ${d.at} said ${d.field} = ${d.meta}, callpermit had ${d.ours}; Meta wins`,
    );
  }
}
