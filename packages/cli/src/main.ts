import { Command, CommanderError } from 'commander';
import { changesCommand } from './commands/changes.js';
import { compareCommand } from './commands/compare.js';
import { exploreCommand } from './commands/explore.js';
import { type CliIo, processIo } from './commands/query.js';
import { rebuildCommand } from './commands/rebuild.js';
import { replayCommand } from './commands/replay.js';
import { requestsCommand } from './commands/requests.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { stateCommand } from './commands/state.js';
import { timelineCommand } from './commands/timeline.js';
import { CliFailure, Exit } from './failure.js';

/** Builds the `callpermit` program. */
export function program(io: CliIo): Command {
  const root = new Command('callpermit')
    .description('callpermit: the source of truth for WhatsApp Business call permissions')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s.trimEnd()), writeErr: (s) => io.stderr(s.trimEnd()) });
  for (const command of [
    stateCommand(io),
    requestsCommand(io),
    replayCommand(io),
    rebuildCommand(io),
    simulateCommand(io),
    timelineCommand(io),
    changesCommand(io),
    compareCommand(io),
    exploreCommand(io),
    serveCommand(io),
  ]) {
    root.addCommand(
      command.exitOverride().configureOutput({
        writeOut: (s) => io.stdout(s.trimEnd()),
        writeErr: (s) => io.stderr(s.trimEnd()),
      }),
    );
  }
  return root;
}

/** Runs the CLI and returns the exit code; failures are one line on stderr, never a stack trace. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await program(io).parseAsync([...argv], { from: 'user' });
    return Exit.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? Exit.ok : Exit.cannotRun;
    }
    if (error instanceof CliFailure) {
      io.stderr(`callpermit: ${error.message}`);
      return error.exitCode;
    }
    io.stderr(`callpermit: ${(error as Error).message ?? String(error)}`);
    return Exit.cannotRun;
  }
}
