import type { Scenario } from './scenario.js';
import { concurrency } from './scenarios/concurrency.js';
import {
  crashRebuildPglite,
  crashRebuildPostgres,
  crashReplayPglite,
  crashReplayPostgres,
} from './scenarios/crashCli.js';
import { crashServePglite, crashServePostgres } from './scenarios/crashServe.js';
import { databasePglite, databasePostgres } from './scenarios/databaseFaults.js';
import { fuzzCapture, fuzzScenario, fuzzTranslator } from './scenarios/fuzz.js';
import { fuzzHttp } from './scenarios/fuzzHttp.js';
import { memoryServe } from './scenarios/memory.js';
import { redelivery } from './scenarios/redelivery.js';
import { security } from './scenarios/security.js';

/** Every scenario, in run order. Explicit on purpose: adding one is adding a line here. */
export const scenarios: readonly Scenario[] = [
  crashServePglite,
  crashServePostgres,
  crashReplayPglite,
  crashReplayPostgres,
  crashRebuildPglite,
  crashRebuildPostgres,
  redelivery,
  concurrency,
  databasePostgres,
  databasePglite,
  fuzzTranslator,
  fuzzCapture,
  fuzzScenario,
  fuzzHttp,
  security,
  memoryServe,
];
