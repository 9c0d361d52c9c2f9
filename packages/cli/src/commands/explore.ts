import { resolve } from 'node:path';
import { explore, goals } from '@callpermit/simulation';
import { Command, InvalidArgumentError } from 'commander';
import { CliFailure } from '../failure.js';
import { policyOption } from '../options.js';
import type { CliIo } from './query.js';

interface ExploreOptions {
  goal?: string | true;
  policy?: string;
  seed: number;
}

function seedOption(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InvalidArgumentError('a whole number');
  return Number(text);
}

/** `callpermit explore`: a shortest sequence of actions reaching a named situation, as a scenario file. */
export function exploreCommand(io: CliIo): Command {
  return new Command('explore')
    .description(
      'search for a shortest sequence of user and business actions reaching a situation; print it as a scenario',
    )
    .option('--goal [name]', 'the situation to reach; without a name, list them')
    .option('--policy <file>', 'policy file (JSON; docs/policy.md); the seed’s values when absent')
    .option('--seed <n>', 'the search’s random seed: the same seed finds the same scenario', seedOption, 1)
    .action(async (options: ExploreOptions) => {
      if (options.goal === undefined || options.goal === true) {
        const width = Math.max(...goals.map((g) => g.name.length));
        io.stdout(goals.map((g) => `${g.name.padEnd(width)}  ${g.description}`).join('\n'));
        return;
      }
      const goal = goals.find((g) => g.name === options.goal);
      if (!goal)
        throw new CliFailure(
          `--goal ${options.goal}: no such goal (one of ${goals.map((g) => g.name).join(', ')})`,
        );
      const policy = await policyOption(options.policy);
      const found = await explore(goal, policy, options.seed, {
        ...(options.policy === undefined ? {} : { policyFile: resolve(options.policy) }),
      });
      if (!found)
        throw new CliFailure(
          `no sequence reached ${goal.name} with seed ${options.seed}; try another --seed`,
        );
      io.stdout(found.text.trimEnd());
    });
}
