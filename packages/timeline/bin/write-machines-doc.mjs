#!/usr/bin/env node
// Writes docs/machines.md from the machine definitions (`pnpm -s docs:generate`; build first).
import { writeFileSync } from 'node:fs';
import { machinesMarkdown } from '../dist/index.js';

writeFileSync(new URL('../../../docs/machines.md', import.meta.url), machinesMarkdown());
