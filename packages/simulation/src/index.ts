// @callpermit/simulation: scenario files (read, validated, JSON Schema), the simulator behind
// `callpermit simulate`, the comparison of two policies (`compare`) and the search for edge cases (`explore`).
export { type Check, checkExpectations } from './checks.js';
export {
  type ActionCounts,
  type Answer,
  comparePolicies,
  type Divergence,
  type PairComparison,
  totalCounts,
} from './compare.js';
export { explore, type Found, type Goal, goals } from './explore.js';
export { type History, type HistoryAction, historyOfCapture, historyOfSimulation } from './history.js';
export { type LoadedScenario, loadScenario } from './load.js';
export { jsonReport, textReport } from './report.js';
export { scenarioJsonSchema } from './scenario/jsonSchema.js';
export { fieldPath, parseScenario, type Scenario, ScenarioError } from './scenario/read.js';
export {
  type Expectation,
  expectationSchema,
  type ScenarioFile,
  type Step,
  scenarioSchema,
  stepSchema,
} from './scenario/schema.js';
export { formatDuration, parseDuration, resolveTime } from './scenario/time.js';
export {
  type BadInput,
  type BusinessAction,
  type CaptureInput,
  DEFAULT_BUSINESS,
  DEFAULT_START,
  DEFAULT_USER,
  label,
  type SimulateOptions,
  type Simulation,
  type Snapshot,
  type StepOutcome,
  simulate,
} from './simulator.js';
