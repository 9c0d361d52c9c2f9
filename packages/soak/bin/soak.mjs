#!/usr/bin/env node
// `pnpm -s soak [NAME…]`: runs the reliability scenarios at their full size from the built dist/ (pnpm -s build
// first) and prints the summary table; exits non-zero when a figure that must be 0 is not.
const { main } = await import('../dist/main.js').catch((error) => {
  process.stderr.write(
    `soak: cannot load packages/soak/dist (build first: pnpm -s build): ${error.message}\n`,
  );
  process.exit(2);
});
process.exitCode = await main(process.argv.slice(2));
