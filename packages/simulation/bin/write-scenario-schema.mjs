#!/usr/bin/env node
// Writes docs/scenario.schema.json from the scenario reader's zod schema (`pnpm -s docs:generate`; build first).
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../dist/index.js';

writeFileSync(new URL('../../../docs/scenario.schema.json', import.meta.url), scenarioJsonSchema());
