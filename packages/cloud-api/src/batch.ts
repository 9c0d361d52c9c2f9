import type { Fact, Instant, SourceRef } from '@callpermit/core';
import type { MessageMemory } from './memory.js';
import { toSeconds } from './wire.js';
import { WireRefusal } from './wireRefusal.js';

/** The facts of one line being translated, and what the translator knows from earlier lines. */
export interface Batch {
  readonly source: SourceRef;
  readonly facts: Fact[];
  /** Valid items that carry nothing for the engine. */
  ignored: number;
  readonly memory: MessageMemory;
  readonly templates: Set<string>;
}

/** An item's own instant (as the `seconds` schema accepted it), else the instant the webhook was received. */
export function instantOf(
  own: string | number | undefined,
  fallback: Instant | undefined,
): Instant | undefined {
  return own === undefined ? fallback : toSeconds(own);
}

/** Refuses an item that has no instant of its own when nothing says when the webhook was received. */
export function missingInstant(path: string): never {
  throw new WireRefusal(path, 'missing, and no received_at to fall back on');
}
