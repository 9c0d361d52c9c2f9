import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's examples/ folder: scenarios beside capture.ndjson, policies under policies/. */
export const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));

export const exampleScenarios = (): string[] =>
  readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
