// Zod building blocks shared by the wire schemas. Hot-path schemas use plain checks and refinements rather than
// transforms: zod's compiled fast path runs those inline but hands each transform to its slower runtime, which
// doubled validation time on realistic captures. Values are converted where they are read.

import {
  businessIdProblem,
  type Instant,
  MAX_ID_LENGTH,
  secondsProblem,
  textProblem,
  userIdProblem,
} from '@callpermit/core';
import { z } from 'zod';
import { instantOrReason } from './instant.js';
import { WireRefusal } from './wireRefusal.js';

const secondsType = { error: 'expected Unix seconds (a string of digits or a number)' };

/**
 * An instant in Unix seconds as Meta writes it: a string of digits (envelope timestamps) or a number (expiry,
 * start and end times). Checked by core's rule for instants (whole seconds, plausible: a 13-digit value is a
 * millisecond timestamp, which read as seconds would land millennia ahead, and is refused as one). Plain
 * checks and a refinement, so the compiled fast path runs them inline.
 */
export const seconds = z
  .union([z.string().regex(/^\d+$/, 'expected Unix seconds: digits only'), z.number()], secondsType)
  .refine((value) => secondsProblem(toSeconds(value)) === undefined, {
    error: (issue) => secondsProblem(toSeconds(issue.input as string | number)),
  });

/** A length of time in whole seconds (a call's `duration`), as a string of digits or a number. */
export const duration = z.union(
  [
    z.string().regex(/^\d{1,9}$/, 'expected whole seconds: digits only'),
    z.number().int('expected whole seconds').nonnegative('expected whole seconds, not a negative number'),
  ],
  secondsType,
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

/** The instant of a value `instant` accepted, or a WireRefusal at `path` saying why it is not one. */
export function readInstant(value: unknown, path: () => string): Instant {
  const result = instantOrReason(value);
  if (typeof result === 'string') throw new WireRefusal(path(), result);
  return result;
}

/** Ids of messages, calls and templates: opaque printable text, as core takes them (MAX_ID_LENGTH at most). */
export const id = z.string().refine((value) => textProblem(value, MAX_ID_LENGTH) === undefined, {
  error: (issue) => textProblem(issue.input, MAX_ID_LENGTH),
});
export const optionalId = id.optional();

/** A business phone-number id, as core takes it: Meta's digits. */
export const businessId = z.string().refine((value) => businessIdProblem(value) === undefined, {
  error: (issue) => businessIdProblem(issue.input),
});

/** A user, as core takes it: a wa_id (digits) or a BSUID. */
export const userId = z.string().refine((value) => userIdProblem(value) === undefined, {
  error: (issue) => userIdProblem(issue.input),
});
export const optionalUserId = userId.optional();

/** The first of two ids a refinement of the schema guarantees one of. */
export function either(first: string | undefined, second: string | undefined): string {
  return (first ?? second) as string;
}
