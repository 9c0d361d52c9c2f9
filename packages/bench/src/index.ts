// @callpermit/bench: the benchmarks behind `pnpm -s bench`, and the deterministic data generators they use.
export { type Benchmark, type BenchResult, result } from './benchmark.js';
export {
  type CaptureFile,
  type CaptureOptions,
  cachedCapture,
  captureLines,
  writeCapture,
} from './captureGenerator.js';
export { generatePairHistories, type PairHistory } from './factGenerator.js';
export { main } from './main.js';
export { Random } from './random.js';
export { benchmarks } from './registry.js';
