import type { Command } from 'commander';
import { type CliIo, type QueryOptions, queryCommand, runQuery } from './query.js';

/** `callpermit requests`: every permission request message of the pair and its lifecycle state at the instant. */
export function requestsCommand(io: CliIo): Command {
  return queryCommand(
    'requests',
    "list the pair's call permission request messages and their state at an instant",
  ).action((options: QueryOptions) =>
    runQuery(options, io, (history, pair, at) => history.engine.requests(pair, at)),
  );
}
