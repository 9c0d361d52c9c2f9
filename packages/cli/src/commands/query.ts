import type { Pair, PairState } from '@callpermit/core';
import { Command } from 'commander';
import { CliFailure } from '../failure.js';
import { type History, historyFromCapture } from '../history.js';
import { instantOption, policyOption, systemNow } from '../options.js';

export interface QueryOptions {
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
    .requiredOption('--business <phone_number_id>', 'the business phone number id')
    .requiredOption('--user <wa_id>', "the user's wa_id (or business-scoped user id)")
    .option('--at <time>', 'the instant to answer for: ISO-8601 or Unix seconds (default: now)')
    .option('--policy <file>', 'policy file (JSON) overriding limits; see docs/policy.md')
    .option('--strict', 'fail (exit 2) on any bad capture line instead of skipping it');
}

/** Opens the history the options name and runs `answer` on the pair at the instant. */
export async function runQuery(
  options: QueryOptions,
  io: CliIo,
  answer: (history: History, pair: Pair, at: number) => Promise<unknown>,
): Promise<void> {
  const at = instantOption(options.at, io.now);
  const policy = await policyOption(options.policy);
  const pair = { business: options.business, user: options.user };
  if (options.from === undefined) throw new CliFailure('say where the history is: --from FILE');
  const history = await historyFromCapture(options.from, pair, policy, options.strict === true, io.stderr);
  try {
    io.stdout(JSON.stringify(await answer(history, pair, at), null, 2));
  } finally {
    await history.close();
  }
}

/** Where Meta's own GET disagreed with callpermit: shown on stderr, since Meta won. */
export function reportDiscrepancies(state: PairState, io: CliIo): void {
  for (const d of state.discrepancies) {
    io.stderr(
      `note: Meta's call_permissions at ${d.at} said ${d.field} = ${d.meta}, callpermit had ${d.ours}; Meta wins`,
    );
  }
}
