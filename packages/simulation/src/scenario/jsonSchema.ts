// The JSON Schema of scenario files (docs/scenario.schema.json), generated from the zod schema the reader
// validates with, so the two cannot drift: `pnpm -s docs:generate` writes it, a test fails when it is stale.
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

export function scenarioJsonSchema(): string {
  const schema = z.toJSONSchema(scenarioSchema, { target: 'draft-2020-12', reused: 'ref' });
  return `${JSON.stringify({ ...schema, $id: 'https://callpermit.dev/scenario.schema.json', title: 'callpermit scenario' }, null, 2)}\n`;
}
