#!/usr/bin/env node
// The built CLI (`pnpm -s build` first). Node 20 runs the compiled JavaScript in dist/.
import { main } from '../dist/main.js';

// The reader of stdout went away (`callpermit changes … | head`, a log collector that stopped): what is left
// to print is dropped, and the command goes on to its end (`serve` goes on serving), rather than dying on an
// unhandled EPIPE with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await main(process.argv.slice(2));
