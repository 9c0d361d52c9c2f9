// Core reads no clock, does no I/O, draws no random numbers and runs no actors: every instant is an input.
// The biome rule catches globals; this scan also catches node: imports and xstate actors, in every file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FORBIDDEN: readonly [RegExp, string][] = [
  [/\bDate\b/, 'Date (a clock)'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bperformance\b/, 'performance (a clock)'],
  [/\bprocess\b/, 'process'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers'],
  [/(from|import|require)\s*\(?\s*['"]node:/, 'a node: import'],
  [/\bcreateActor\b/, 'createActor (xstate actors run effects; core uses the pure transition())'],
];

/** Source without comments, so a comment may name what the code must not use. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

function violations(text: string): string[] {
  const body = code(text);
  return FORBIDDEN.filter(([pattern]) => pattern.test(body)).map(([, what]) => what);
}

const root = fileURLToPath(new URL('.', import.meta.url));
const sources = (readdirSync(root, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split(/[\\/]/).includes('test'))
  .sort();

describe('core is pure', () => {
  it('scans every source file of core', () => {
    for (const [dir, file] of [
      ['domain', 'evolve.ts'],
      ['domain', 'decide.ts'],
      ['engine', 'engine.ts'],
      ['machines', 'lifecycleTable.ts'],
      ['policy', 'policy.ts'],
    ] as const) {
      expect(sources).toContain(join(dir, file));
    }
    expect(sources).toContain('index.ts');
  });

  it.each(sources)('%s uses no clock, randomness, process, timers, node: imports or actors', (file) => {
    expect(violations(readFileSync(join(root, file), 'utf8'))).toEqual([]);
  });

  it('the scan finds each forbidden use (and ignores comments)', () => {
    expect(violations('const t = Date.now();')).toEqual(['Date (a clock)']);
    expect(violations("import { readFile } from 'node:fs';")).toEqual(['a node: import']);
    expect(violations("const fs = await import('node:fs');")).toEqual(['a node: import']);
    expect(violations('const id = Math.random();')).toEqual(['Math.random']);
    expect(violations('performance.now(); process.env.X; setTimeout(f, 1); createActor(m)')).toEqual([
      'performance (a clock)',
      'process',
      'timers',
      'createActor (xstate actors run effects; core uses the pure transition())',
    ]);
    expect(violations('// Date.now() is not allowed\n/* process */ const x = 1;')).toEqual([]);
  });
});
