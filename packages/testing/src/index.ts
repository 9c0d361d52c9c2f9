// @callpermit/testing: the FactStore contract suite every store runs, fact builders and fast-check
// arbitraries for histories.
export {
  badInstantArg,
  batches,
  callbackChangeArb,
  commandArb,
  factHistoryArb,
  type HistoryOptions,
  type HistoryStep,
  historyFacts,
  historySteps,
  type InstantOptions,
  instantArb,
  type Malformed,
  malformedCommandArb,
  malformedFactArb,
  pairArb,
  pairFactArb,
  policyArb,
} from './arbitraries.js';
export {
  type Clock,
  clock,
  commands,
  facts,
  HOUR,
  MINUTE,
  SECOND,
  sampleInstant,
  testPair,
  WEEK,
} from './builders.js';
export { factStoreContract } from './factStoreContract.js';
export { callbackChanged, DAY, factsFor, T0, testSource, uniqueBusiness, uniquePair } from './facts.js';
export { describeWithPostgres } from './postgres.js';
