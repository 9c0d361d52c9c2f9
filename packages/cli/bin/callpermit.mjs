#!/usr/bin/env node
// The built CLI (`pnpm -s build` first). Node 20 runs the compiled JavaScript in dist/.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
