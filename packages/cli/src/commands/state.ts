import type { Command } from 'commander';
import { type CliIo, type QueryOptions, queryCommand, reportDiscrepancies, runQuery } from './query.js';

/** `callpermit state`: Meta's `GET call_permissions` body for the pair at the instant. */
export function stateCommand(io: CliIo): Command {
  return queryCommand(
    'state',
    "print the pair's call permission state at an instant, as Meta's GET call_permissions body",
  ).action((options: QueryOptions) =>
    runQuery(options, io, async (history, pair, at) => {
      reportDiscrepancies(await history.engine.state(pair, at), io);
      return history.engine.callPermissions(pair, at);
    }),
  );
}
