import { type Instant, instantOrProblem, PLAUSIBLE_INSTANTS, secondsProblem } from '@callpermit/core';

const DIGITS = /^\d+$/;

/**
 * The number as an instant in Unix seconds, or the reason it is not one: core's rule (a whole number of seconds
 * within the plausible instants, PLAUSIBLE_INSTANTS), so a millisecond timestamp is refused as one here too.
 */
export function unixSeconds(value: number): Instant | string {
  return secondsProblem(value) ?? value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

function bad(text: string): string {
  return `${JSON.stringify(text)} is neither ISO-8601 nor Unix seconds`;
}

/** The number written by `count` ASCII digits at `from`, or -1. */
function digitsAt(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1; // NaN past the end, too
    n = n * 10 + c;
  }
  return n;
}

/**
 * `YYYY-MM-DD`, or that followed by `T` (or a space) `hh:mm[:ss[.fraction]]` and an offset (`Z`, `±hh`,
 * `±hhmm`, `±hh:mm`). Scanned by hand rather than with a regular expression and Date.parse: capture replays
 * parse one instant per line, and this is several times cheaper.
 */
function isoSeconds(text: string): Instant | string {
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 0 || month < 0 || day < 0 || text[4] !== '-' || text[7] !== '-') return bad(text);
  let hour = 0;
  let minute = 0;
  let second = 0;
  let offset = 0;
  if (text.length > 10) {
    const sep = text[10];
    if ((sep !== 'T' && sep !== 't' && sep !== ' ') || text[13] !== ':') return bad(text);
    hour = digitsAt(text, 11, 2);
    minute = digitsAt(text, 14, 2);
    if (hour < 0 || minute < 0) return bad(text);
    let i = 16;
    if (text[i] === ':') {
      second = digitsAt(text, i + 1, 2);
      if (second < 0) return bad(text);
      i += 3;
      if (text[i] === '.' || text[i] === ',') {
        const start = ++i;
        while (digitsAt(text, i, 1) >= 0) i++;
        if (i === start) return bad(text);
      }
    }
    if (i === text.length) {
      return `${JSON.stringify(text)} has no offset: add Z or ±hh:mm (a local time is ambiguous)`;
    }
    const sign = text[i];
    if ((sign === 'Z' || sign === 'z') && i + 1 === text.length) offset = 0;
    else if (sign === '+' || sign === '-') {
      const zone = text.slice(i + 1);
      const colon = zone.length === 5 && zone[2] === ':';
      const oh = zone.length === 2 || zone.length === 4 || colon ? digitsAt(zone, 0, 2) : -1;
      const om = zone.length === 2 ? 0 : digitsAt(zone, colon ? 3 : 2, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return bad(text);
      offset = (sign === '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else return bad(text);
  } else if (text.length !== 10) return bad(text);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return `${JSON.stringify(text)} is not a valid date-time`;
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
  const { fromText, untilText } = PLAUSIBLE_INSTANTS;
  return secondsProblem(seconds) === undefined
    ? seconds
    : `${JSON.stringify(text)} is outside the plausible instants (${fromText} to ${untilText})`;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil): integer arithmetic,
 * several times cheaper than Date.UTC, which replays call once a line.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * ISO-8601 with any offset (`2026-01-01T09:30:00+01:00`, `…Z`, or a bare date, read as midnight UTC), Unix
 * seconds as a number or a string of digits, or a Date → Unix seconds (fractions of a second are dropped).
 * The instant must be plausible (core's PLAUSIBLE_INSTANTS: 2000 to 2100); a number of milliseconds is
 * refused as such. Throws an Error naming the value and the reason.
 */
export function parseInstant(text: string | number | Date): Instant {
  const result = instantOrReason(text);
  if (typeof result === 'string') throw new Error(`invalid instant: ${result}`);
  return result;
}

function parseText(text: string): Instant | string {
  // An ISO date has its first '-' at index 4: no need to try the digits pattern on it.
  return text.charCodeAt(4) !== 45 && DIGITS.test(text) ? unixSeconds(Number(text)) : isoSeconds(text);
}

/** Same as parseInstant, returning the reason instead of throwing (for schema refinements). */
export function instantOrReason(text: unknown): Instant | string {
  if (typeof text === 'string') return parseText(text.trim());
  const result = instantOrProblem(text, '');
  return typeof result === 'number' ? result : result.reason;
}
