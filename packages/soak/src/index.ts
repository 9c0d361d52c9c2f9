// @callpermit/soak: the reliability scenarios behind `pnpm -s soak` (crashes, database faults, redelivery,
// concurrency, fuzzing, attacks, memory), each at a short size (the test suite) and a full one.
export { main } from './main.js';
export { scenarios } from './registry.js';
export {
  clean,
  type Figures,
  MUST_BE_ZERO,
  runScenario,
  type Scenario,
  type ScenarioReport,
  type Size,
  type SoakContext,
} from './scenario.js';
