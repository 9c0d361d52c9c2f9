// Fact and command builders with test defaults, and a clock. They are written beside core's own tests (core
// cannot depend on this package, which depends on core) and published by core's test entry point.
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
} from '@callpermit/core/testing';
