// Reads a scenario file (YAML, or JSON, which YAML reads too) and validates it, naming the file, line, field
// and reason of the first problem. YAML's own source positions give the lines.
import { issueReason } from '@callpermit/cloud-api';
import { isNode, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type ScenarioFile, scenarioSchema } from './schema.js';

/** A scenario file that cannot be used: where (file, line, column, field) and why. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${field === '' ? '' : `${field}: `}${reason}`);
    this.name = 'ScenarioError';
  }
}

/** A validated scenario and where its parts are in its file. */
export interface Scenario {
  readonly file: string;
  readonly data: ScenarioFile;
  /** The line and column of the value at a path (or of the nearest enclosing value that exists). */
  readonly position: (path: readonly PropertyKey[]) => { line: number; column: number };
}

/** `steps[3].expect.can_call`: a JSON-path-like name of a field. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lines.linePos(syntax.pos[0]);
    throw new ScenarioError(file, at.line, at.col, '', syntax.message.split('\n')[0] ?? syntax.message);
  }
  const position = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && (node as Node).range) {
        const at = lines.linePos((node as Node).range?.[0] ?? 0);
        return { line: at.line, column: at.col };
      }
    }
    return { line: 1, column: 1 };
  };
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // Resolving aliases: an alias before its anchor, or so many that the file is a resource-exhaustion attack.
    throw new ScenarioError(file, 1, 1, '', (error as Error).message.split('\n')[0] ?? 'cannot be read');
  }
  const result = scenarioSchema.safeParse(value);
  if (!result.success) {
    const issue = pickIssue(result.error.issues);
    const path = issue.path as PropertyKey[];
    const at = position(path);
    throw new ScenarioError(file, at.line, at.column, fieldPath(path), issueReason(issue, value));
  }
  return { file, data: result.data, position };
}

/** A union's issue says only "invalid input": the branch that got furthest says what is wrong. */
function pickIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const issue = issues[0] as z.core.$ZodIssue;
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deepest = issue.errors
      .map((branch) => branch[0])
      .filter((i): i is z.core.$ZodIssue => i !== undefined)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest && deepest.path.length > 0) return { ...deepest, path: [...issue.path, ...deepest.path] };
  }
  return issue;
}
