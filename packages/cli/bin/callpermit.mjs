#!/usr/bin/env node
// The built CLI (`pnpm -s build` first). Node 20 runs the compiled JavaScript in dist/.
import { main } from '../dist/main.js';

// The reader of stdout went away (`callpermit changes … | head`): stop quietly, as a pipeline expects, rather
// than die on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
