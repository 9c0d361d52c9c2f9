import type { Fact } from '@callpermit/core';

/** What one capture line (or one webhook body, or one API call) turned into. */
export type LineOutcome =
  /** `ignored` counts valid items that carry nothing for the engine; `facts` may be empty. */
  | { kind: 'facts'; facts: Fact[]; ignored: number }
  /** `path` is the JSON path of the offending value, '' when the whole line is bad (e.g. invalid JSON). */
  | { kind: 'rejected'; path: string; reason: string };
