import { createReadStream } from 'node:fs';
import { isoInstant, readCaptureLines } from '@callpermit/cloud-api';
import { readPolicyFile } from '@callpermit/service';
import {
  type Answer,
  comparePolicies,
  type History,
  historyOfCapture,
  historyOfSimulation,
  type PairComparison,
  totalCounts,
} from '@callpermit/simulation';
import { Command } from 'commander';
import { assertReadable } from '../capture.js';
import { CliFailure } from '../failure.js';
import type { CliIo } from './query.js';
import { runScenarioFile } from './simulate.js';

interface CompareOptions {
  from?: string;
  policy: string[];
  business: string;
  user?: string;
  json?: boolean;
}

function answerText(answer: Answer): string {
  const p = answer.callPermissions.permission;
  const permission =
    p.expiration_time === undefined ? p.status : `${p.status} until ${isoInstant(p.expiration_time)}`;
  const [ask, call] = answer.callPermissions.actions;
  const usage = (answer.callPermissions.actions ?? [])
    .flatMap((a) =>
      a.limits.map(
        (l) =>
          `${a.action_name === 'start_call' ? 'calls' : 'requests'} ${l.current_usage}/${l.max_allowed} ${l.time_period}`,
      ),
    )
    .join(', ');
  const d = answer.decision;
  const decision = d
    ? `${d.action} ${d.allowed ? 'allowed' : `refused ${d.refusal?.code} (${d.refusal?.title})`}; `
    : '';
  return `${decision}permission ${permission}; can ask: ${ask?.can_perform_action ? 'yes' : 'no'}, can call: ${call?.can_perform_action ? 'yes' : 'no'}; ${usage}`;
}

function countsText(label: string, c: PairComparison['calls']): string {
  return `${c.total} ${label}: A refused ${c.refusedByA}, B refused ${c.refusedByB} (B would have refused ${c.onlyBRefuses} that A allowed, allowed ${c.onlyARefuses} that A refused)`;
}

/** `callpermit compare`: where two policies part on the same history. */
export function compareCommand(io: CliIo): Command {
  return new Command('compare')
    .description('fold the same history under two policies and show where their answers diverge')
    .argument(
      '[scenario]',
      'a scenario file (run under the first policy; its history is then folded under both)',
    )
    .option('--from <file>', 'a capture file (NDJSON)')
    .option(
      '--policy <file>',
      'a policy file (JSON); give it twice: A then B',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .requiredOption('--business <phone_number_id>', 'the business phone number id')
    .option(
      '--user <wa_id>',
      'one pair: its first divergence; without it, a summary over all pairs of the business',
    )
    .option('--json', 'print JSON')
    .action(async (scenario: string | undefined, options: CompareOptions) => {
      if (options.policy.length !== 2)
        throw new CliFailure('give --policy exactly twice: policy A, then policy B');
      if ((scenario === undefined) === (options.from === undefined))
        throw new CliFailure('give one history: a scenario file or --from FILE');
      const [fileA, fileB] = options.policy as [string, string];
      const [a, b] = await Promise.all([readPolicyFile(fileA), readPolicyFile(fileB)]);
      let history: History;
      if (scenario !== undefined) history = historyOfSimulation(await runScenarioFile(scenario, fileA));
      else {
        const from = options.from as string;
        await assertReadable(from);
        history = await historyOfCapture(
          from,
          readCaptureLines(from === '-' ? process.stdin : createReadStream(from)),
        );
      }
      for (const bad of history.badInput) io.stderr(`${bad.where}: ${bad.reason}`);
      const pairs = comparePolicies(
        history,
        a.book,
        b.book,
        (p) => p.business === options.business && (options.user === undefined || p.user === options.user),
      );
      if (options.user !== undefined && pairs.length === 0)
        throw new CliFailure(`no history for business ${options.business} and user ${options.user}`);
      const total = totalCounts(pairs);
      if (options.json) {
        io.stdout(JSON.stringify({ policies: { a: fileA, b: fileB }, pairs, total }, null, 2));
        return;
      }
      const lines = [`A = ${fileA}`, `B = ${fileB}`];
      for (const p of pairs) {
        lines.push('', `pair ${p.pair.business} / ${p.pair.user}`);
        lines.push(`  ${countsText('permission requests', p.requests)}`, `  ${countsText('calls', p.calls)}`);
        const d = p.firstDivergence;
        if (!d) {
          lines.push('  the two policies give the same answers all along');
          continue;
        }
        if (options.user === undefined) {
          lines.push(`  first divergence at ${isoInstant(d.at)}: ${d.cause}`);
          continue;
        }
        lines.push(
          `  first divergence at ${isoInstant(d.at)} (${d.at})`,
          `  where: ${d.cause}`,
          `  A: ${answerText(d.a)}`,
          `  B: ${answerText(d.b)}`,
        );
      }
      if (options.user === undefined)
        lines.push(
          '',
          `total over ${pairs.length} pair(s)`,
          `  ${countsText('permission requests', total.requests)}`,
          `  ${countsText('calls', total.calls)}`,
        );
      io.stdout(lines.join('\n'));
    });
}
