// Zod building blocks shared by the wire schemas. Hot-path schemas use plain checks and refinements rather than
// transforms: zod's compiled fast path runs those inline but hands each transform to its slower runtime, which
// doubled validation time on realistic captures. Values are converted where they are read.

import type { Instant } from '@callpermit/core';
import { z } from 'zod';
import { instantOrReason } from './instant.js';
import { Refusal } from './refusal.js';

/**
 * Unix seconds as Meta writes them: a string of digits (envelope timestamps) or a number (expiry, duration).
 * Eleven digits at most: a 13-digit value is a millisecond timestamp, which read as seconds would land
 * millennia ahead. Plain checks, so the compiled fast path runs them inline.
 */
export const seconds = z.union(
  [
    z
      .string()
      .regex(/^\d{1,11}$/, 'expected Unix seconds: digits only, at most 11 (more would be milliseconds)'),
    z
      .number()
      .nonnegative('expected Unix seconds, not a negative number')
      .lt(1e11, 'expected Unix seconds, not milliseconds')
      .refine(Number.isInteger, 'expected whole Unix seconds'),
  ],
  { error: 'expected Unix seconds (a string of digits or a number)' },
);

/** The number of a value `seconds` accepted. */
export function toSeconds(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}

/**
 * An instant written by whoever logged the capture: ISO-8601 with an offset, or Unix seconds. The schema checks
 * its type; `readInstant` reads it (and refuses it with the parser's reason).
 */
export const instant = z.union([z.string(), z.number()], {
  error: 'expected an ISO-8601 instant or Unix seconds',
});

/** The instant of a value `instant` accepted, or a Refusal at `path` saying why it is not one. */
export function readInstant(value: string | number, path: () => string): Instant {
  const result = instantOrReason(value);
  if (typeof result === 'string') throw new Refusal(path(), result);
  return result;
}

/** Ids (message, call, phone number, user) are opaque non-empty strings. */
export const id = z.string().min(1, 'must not be empty');
export const optionalId = id.optional();

/** The first of two ids a refinement of the schema guarantees one of. */
export function either(first: string | undefined, second: string | undefined): string {
  return (first ?? second) as string;
}
