// @callpermit/testing: the FactStore contract suite every store runs, fact builders and fast-check
// arbitraries for histories.
export {
  badInstantArg,
  batches,
  callbackChangeArb,
  callingChangeArb,
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
  DAY,
  facts,
  HOUR,
  MINUTE,
  SECOND,
  T0,
  testPair,
  testSource,
  WEEK,
} from './builders.js';
export { factStoreContract } from './factStoreContract.js';
export { callbackChanged, factsFor, uniqueBusiness, uniquePair } from './facts.js';
export { describeWithPostgres } from './postgres.js';
