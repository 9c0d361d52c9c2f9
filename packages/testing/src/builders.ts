// Fact and command builders with test defaults, and a clock. They are written beside core's own tests (core
// cannot depend on this package, which depends on core) and published here for every other package.
export {
  type Clock,
  clock,
  commands,
  facts,
  HOUR,
  MINUTE,
  SECOND,
  T0 as sampleInstant,
  testPair,
  WEEK,
} from '../../core/src/test/builders.js';
