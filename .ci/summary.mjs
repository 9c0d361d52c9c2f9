// Prints vitest's result as the plain line CI reads: `N passed, N failed, N skipped`.
// When the run stopped before vitest (typecheck or lint failed), that failure counts as one.
import { existsSync, readFileSync } from 'node:fs';

const rc = Number(process.argv[2] ?? 1);
if (existsSync('vitest.json')) {
  const r = JSON.parse(readFileSync('vitest.json', 'utf8'));
  const failed = r.numFailedTests + (rc !== 0 && r.numFailedTests === 0 ? 1 : 0);
  console.log(`${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
} else {
  console.log(`0 passed, ${rc === 0 ? 0 : 1} failed`);
}
