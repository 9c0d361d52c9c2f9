import type { Instant } from '../domain/time.js';
import { type InputProblem, InvalidInput, shown } from './invalidInput.js';

/**
 * The plausible instants: from 2000-01-01T00:00:00Z (inclusive) to 2100-01-01T00:00:00Z (exclusive), in Unix
 * seconds. Every instant core takes is checked against this range, so a wrong unit is refused instead of
 * stored: milliseconds (`Date.now()`, 1.7e12 today) land far above it, and a duration or a count of days
 * given for an instant lands below it. The upper end matters most: commands of a pair never go back in time,
 * so one command recorded at a far-future instant would hold every later command of the pair at that instant.
 * WhatsApp's calling permissions date from 2025 and Meta's webhooks carry the current time, so the range
 * loses nothing real; tests, simulations and replays use real dates too.
 */
export const PLAUSIBLE_INSTANTS = {
  from: 946_684_800,
  until: 4_102_444_800,
  /** The two ends as ISO-8601, for messages (core reads no Date to print them). */
  fromText: '2000-01-01T00:00:00Z',
  untilText: '2100-01-01T00:00:00Z',
} as const;

const LOOKS_LIKE_MILLISECONDS =
  'looks like milliseconds (Date.now()?): give Unix seconds (Math.floor(ms / 1000)) or a Date';

/** What an instant may be given as at an entry point: Unix seconds, or a Date (read to the second below). */
// biome-ignore lint/style/noRestrictedGlobals: the type of a Date handed in; no clock is read
export type InstantInput = Instant | Date;

/** Why a number is not a plausible instant in Unix seconds, or undefined when it is one. */
export function secondsProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return `${value} is not a finite number of seconds`;
  const { from, until, fromText, untilText } = PLAUSIBLE_INSTANTS;
  if (value >= until) {
    if (value >= from * 1000 && value < until * 1000) return `${value} ${LOOKS_LIKE_MILLISECONDS}`;
    return `${value} is after ${untilText}: not a plausible instant in Unix seconds`;
  }
  if (!Number.isInteger(value))
    return `${value} is not a whole number of seconds: round it down (Math.floor) or give a Date`;
  if (value < from) return `${value} is before ${fromText}: not a plausible instant in Unix seconds`;
  return undefined;
}

/**
 * Why a value is not an instant as facts carry it (a number of Unix seconds), or undefined. A Date is not one
 * here: facts are stored as they are given, and a Date would be stored as text.
 */
export function instantProblem(value: unknown): string | undefined {
  if (typeof value === 'number') return secondsProblem(value);
  if (isDate(value)) return 'a Date: facts carry Unix seconds (Math.floor(date.getTime() / 1000))';
  return notAnInstant(value);
}

/**
 * The instant an entry point was given (Unix seconds, or a Date read to the second below), or an
 * InvalidInput naming `field` and why: text is refused (parse it first: `parseInstant` in
 * @callpermit/cloud-api reads ISO-8601), and so are milliseconds, fractions and implausible instants.
 */
export function toInstant(value: unknown, field: string): Instant {
  const result = instantOrProblem(value, field);
  if (typeof result === 'number') return result;
  throw new InvalidInput(result);
}

/** Same as `toInstant`, answering with the problem instead of throwing it. */
export function instantOrProblem(value: unknown, field: string): Instant | InputProblem {
  if (typeof value === 'number') {
    const reason = secondsProblem(value);
    return reason === undefined ? value : { field, reason };
  }
  if (isDate(value)) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) return { field, reason: 'an invalid Date' };
    const seconds = Math.floor(ms / 1000);
    if (secondsProblem(seconds) === undefined) return seconds;
    const { fromText, untilText } = PLAUSIBLE_INSTANTS;
    return { field, reason: `a Date outside the plausible instants (${fromText} to ${untilText})` };
  }
  return { field, reason: notAnInstant(value) };
}

function notAnInstant(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string')
    return `${shown(value)} is not an instant: parse it first (parseInstant in @callpermit/cloud-api reads ISO-8601), core takes Unix seconds or a Date`;
  return `${shown(value)} is not an instant: Unix seconds (a number) or a Date`;
}

/** Reading a Date handed in is not reading the clock: core still never asks for the current time. */
// biome-ignore lint/style/noRestrictedGlobals: the type of a Date handed in; no clock is read
function isDate(value: unknown): value is Date {
  // biome-ignore lint/style/noRestrictedGlobals: reads a Date given as an input; no clock is read
  return value instanceof Date;
}
