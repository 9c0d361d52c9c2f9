#!/usr/bin/env node
// Writes a deterministic capture: --lines N --pairs P --seed S --out FILE. See packages/bench/src/captureGenerator.ts.
const { generateCaptureMain } = await import('../dist/generateCaptureMain.js').catch((error) => {
  process.stderr.write(
    `generate-capture: cannot load packages/bench/dist (build first: pnpm -s build): ${error.message}\n`,
  );
  process.exit(2);
});
process.exitCode = generateCaptureMain(process.argv.slice(2));
