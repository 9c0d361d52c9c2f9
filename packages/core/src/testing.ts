// @callpermit/core/testing: the test kit's half that lives in core (core cannot depend on
// @callpermit/testing, which depends on core): fact and command builders with test defaults, a clock, and
// fast-check arbitraries of histories and of malformed inputs. For this workspace's tests, through
// @callpermit/testing, which re-exports it; not part of the packed package (it needs fast-check).
export {
  callbackChangeArb,
  callingChangeArb,
  factHistoryArb,
  type HistoryOptions,
  type InstantOptions,
  instantArb,
  pairArb,
  pairFactArb,
  policyArb,
} from './test/arbitraries.js';
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
} from './test/builders.js';
export {
  badInstantArg,
  badSeconds,
  commandArb,
  type Malformed,
  malformedCommandArb,
  malformedFactArb,
} from './test/malformed.js';
