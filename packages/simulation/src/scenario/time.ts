// Times in a scenario: absolute instants (ISO-8601 with an offset, or Unix seconds) and durations written
// the way people say them (`90m`, `1d12h`, `7d`) or in ISO-8601 (`PT24H`, `P7D`).
import { parseInstant } from '@callpermit/cloud-api';
import { durationSeconds, type Instant } from '@callpermit/core';

const SPOKEN = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The pattern the JSON Schema shows for a duration. */
export const DURATION_PATTERN =
  '^(?:(\\d+w)?(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?|P(\\d+W)?(\\d+D)?(T(\\d+H)?(\\d+M)?(\\d+S)?)?)$';

/** Seconds in `90m`, `1d12h`, `0s`, `PT24H`, `P7D`; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const spoken = SPOKEN.exec(text);
  if (spoken && text !== '') {
    const [, w, d, h, m, s] = spoken.map((x) => Number(x ?? 0));
    return (w ?? 0) * 604800 + (d ?? 0) * 86400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
  }
  return durationSeconds(text);
}

/** `90m`, `1d12h`, `7d`: the shortest spoken form of a number of seconds. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

/**
 * A time in a scenario: `+DURATION` from the scenario's start, or an absolute instant. Returns the instant
 * or the reason it is not one.
 */
export function resolveTime(text: string | number, start: Instant): Instant | string {
  if (typeof text === 'string' && text.startsWith('+')) {
    const seconds = parseDuration(text.slice(1));
    return seconds === undefined
      ? `${JSON.stringify(text)}: not a duration after the start (+90m, +1d12h, +P7D)`
      : start + seconds;
  }
  try {
    return parseInstant(text);
  } catch (error) {
    return (error as Error).message;
  }
}
