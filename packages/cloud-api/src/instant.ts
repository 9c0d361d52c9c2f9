import type { Instant } from '@callpermit/core';

/**
 * Unix seconds from 1e11 on are year 5138 and later: such a number is a millisecond timestamp (or garbage),
 * and reading it as seconds would silently move facts millennia ahead, so it is refused.
 */
const MAX_SECONDS = 1e11;
const DIGITS = /^\d+$/;
// Date, or date-time with seconds optional, fraction optional and an offset required (a local time is ambiguous).
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Non-negative whole seconds below MAX_SECONDS, or a reason why not. */
export function unixSeconds(value: number): Instant | string {
  if (!Number.isInteger(value) || value < 0) return `${value} is not a whole, non-negative number of seconds`;
  if (value >= MAX_SECONDS) return `${value} is too large for Unix seconds (milliseconds?)`;
  return value;
}

/** Unix seconds as Meta writes them on the wire: a string of digits or a JSON number. */
export function wireSeconds(value: string | number): Instant | string {
  if (typeof value === 'number') return unixSeconds(value);
  return DIGITS.test(value) ? unixSeconds(Number(value)) : `${JSON.stringify(value)} is not Unix seconds`;
}

function isoSeconds(text: string): Instant | string {
  const m = ISO.exec(text);
  if (!m) return `${JSON.stringify(text)} is neither ISO-8601 nor Unix seconds`;
  const [, y = '', mo = '', d = '', h = '', mi = '', sec = '', offset = ''] = m;
  if (h !== '' && offset === '') {
    return `${JSON.stringify(text)} has no offset: add Z or ±hh:mm (a local time is ambiguous)`;
  }
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const midnight = new Date(Date.UTC(year, month - 1, day));
  if (
    midnight.getUTCMonth() !== month - 1 ||
    midnight.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return `${JSON.stringify(text)} is not a valid date-time`;
  }
  return unixSeconds(midnight.getTime() / 1000 + hour * 3600 + minute * 60 + second - offsetSeconds(offset));
}

/** `Z`, `+hh`, `+hhmm` or `+hh:mm` → seconds east of UTC. */
function offsetSeconds(offset: string): number {
  if (offset === '' || offset.toUpperCase() === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const seconds = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2) || 0) * 60;
  return offset.startsWith('-') ? -seconds : seconds;
}

/**
 * ISO-8601 with any offset (`2026-01-01T09:30:00+01:00`, `…Z`, or a bare date, read as midnight UTC), or Unix
 * seconds as a number or a string of digits → Unix seconds (fractions of a second are dropped).
 * Throws an Error naming the value and the reason.
 */
export function parseInstant(text: string | number): Instant {
  const result = typeof text === 'number' ? unixSeconds(text) : parseText(text.trim());
  if (typeof result === 'string') throw new Error(`invalid instant: ${result}`);
  return result;
}

function parseText(text: string): Instant | string {
  return DIGITS.test(text) ? unixSeconds(Number(text)) : isoSeconds(text);
}

/** Same as parseInstant, returning the reason instead of throwing (for schema refinements). */
export function instantOrReason(text: string | number): Instant | string {
  return typeof text === 'number' ? unixSeconds(text) : parseText(text.trim());
}
