#!/usr/bin/env node
// `pnpm -s bench [PREFIX]`: stdout carries only the JSON array of results. Anything a library prints with
// console.log goes to stderr, so it cannot corrupt that output.
console.log = console.error;
const { main } = await import('../dist/main.js').catch((error) => {
  process.stderr.write(
    `bench: cannot load packages/bench/dist (build first: pnpm -s build): ${error.message}\n`,
  );
  process.exit(2);
});
process.exitCode = await main(process.argv.slice(2));
