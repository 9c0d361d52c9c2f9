import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from './jsonSchema.js';
import { stepSchema } from './schema.js';

const FILE = new URL('../../../../docs/scenario.schema.json', import.meta.url);

describe('docs/scenario.schema.json', () => {
  it('is what the reader’s zod schema generates (run pnpm -s docs:generate after changing it)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(scenarioJsonSchema());
  });

  it('names every step and every expectation the reader accepts', () => {
    const text = scenarioJsonSchema();
    for (const option of stepSchema.options) expect(text).toContain(`"const": "${option.shape.do.value}"`);
    for (const key of [
      'permission',
      'expires',
      'can_ask',
      'can_call',
      'usage',
      'requests',
      'refused',
      'notices',
    ])
      expect(text).toContain(`"${key}"`);
  });
});
