import type { Fact, Instant, SourceRef } from '@callpermit/core';
import type { MessageMemory } from './memory.js';
import { Refusal } from './refusal.js';

/** The facts of one line being translated, and what the translator knows from earlier lines. */
export interface Batch {
  readonly source: SourceRef;
  readonly facts: Fact[];
  /** Valid items that carry nothing for the engine. */
  ignored: number;
  readonly memory: MessageMemory;
  readonly templates: Set<string>;
}

/** An item's own instant, else the instant the webhook was received; neither is a refusal at `path()`. */
export function instantOf(
  own: Instant | undefined,
  fallback: Instant | undefined,
  path: () => string,
): Instant {
  const at = own ?? fallback;
  if (at === undefined) throw new Refusal(path(), 'missing, and no received_at to fall back on');
  return at;
}
