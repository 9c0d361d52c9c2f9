// Core reads no clock, does no I/O, draws no random numbers and runs no actors: every instant is an input.
// The biome rule catches globals; this scan also catches node: imports and xstate actors, in every file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const IMPORT_NODE = /(from|import|require)\s*\(?\s*['"]node:/;
const FORBIDDEN: readonly [RegExp, string][] = [
  // A Date handed in may be read (`instanceof Date`, its type); making one or asking it the time may not.
  [/\bDate\s*\.\s*now\b|\bnew\s+Date\b|(?<![\w.$])Date\s*\(/, 'Date (a clock)'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bperformance\b/, 'performance (a clock)'],
  [/\bprocess\b/, 'process'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers'],
  [IMPORT_NODE, 'a node: import'],
  [/\bcreateActor\b/, 'createActor (xstate actors run effects; core uses the pure transition())'],
];

/** Source without comments, so a comment may name what the code must not use. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** Code without its quoted strings, so a message may name it too (module names are quoted: imports keep them). */
function withoutStrings(text: string): string {
  return text.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");
}

function violations(text: string): string[] {
  const code = withoutComments(text);
  const bare = withoutStrings(code);
  return FORBIDDEN.filter(([pattern]) => pattern.test(pattern === IMPORT_NODE ? code : bare)).map(
    ([, what]) => what,
  );
}

const root = fileURLToPath(new URL('.', import.meta.url));
const sources = (readdirSync(root, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split(/[\\/]/).includes('test'))
  .sort();

describe('core is pure', () => {
  it('scans every source file of core', () => {
    for (const [dir, file] of [
      ['boundary', 'factCheck.ts'],
      ['domain', 'facts.ts'],
      ['rules', 'evolve.ts'],
      ['rules', 'decide.ts'],
      ['state', 'retention.ts'],
      ['views', 'callPermissions.ts'],
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
    expect(violations('const t = new Date();')).toEqual(['Date (a clock)']);
    expect(violations('const text = Date();')).toEqual(['Date (a clock)']);
    expect(violations('const ok = (v: unknown): v is Date => v instanceof Date;')).toEqual([]);
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
    expect(violations("const hint = 'milliseconds (Date.now()?)';")).toEqual([]);
  });
});
