import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstant } from '../index.js';

describe('parseInstant', () => {
  it.each([
    ['2025-12-31T08:00:00Z', 1767168000],
    ['2025-12-31T09:00:00+01:00', 1767168000],
    ['2025-12-31T03:00:00-0500', 1767168000],
    ['2025-12-31T13:30:00+05:30', 1767168000],
    ['2025-12-31T08:00:00.999Z', 1767168000],
    ['2025-12-31T08:00Z', 1767168000],
    ['2025-12-31t08:00:00z', 1767168000],
    ['2025-12-31', 1767139200],
    ['2025-12-31T09:00+01', 1767168000],
    ['2025-12-31 08:00:00,5Z', 1767168000],
    ['2024-02-29T00:00:00Z', 1709164800],
    ['1767168000', 1767168000],
    [' 1767168000 ', 1767168000],
    [1767168000, 1767168000],
    [0, 0],
  ])('%j → %d', (text, seconds) => {
    expect(parseInstant(text)).toBe(seconds);
  });

  it.each([
    ['2025-12-31T08:00:00', /no offset/],
    ['2025-02-29T00:00:00Z', /not a valid date-time/],
    ['2025-12-31T24:00:00Z', /not a valid date-time/],
    ['31/12/2025', /neither ISO-8601 nor Unix seconds/],
    ['2025-12-3', /neither ISO-8601 nor Unix seconds/],
    ['2025-12-31T08', /neither ISO-8601 nor Unix seconds/],
    ['2025-12-31T08:00:00.Z', /neither ISO-8601 nor Unix seconds/],
    ['2025-12-31T08:00:00+1', /neither ISO-8601 nor Unix seconds/],
    ['2025-12-31T08:00:00+01:00:00', /neither ISO-8601 nor Unix seconds/],
    ['2025-12-31T08:00:00Zulu', /neither ISO-8601 nor Unix seconds/],
    ['2025-12-31x', /neither ISO-8601 nor Unix seconds/],
    ['2025-00-10', /not a valid date-time/],
    ['', /neither ISO-8601 nor Unix seconds/],
    ['1767168000000', /milliseconds/],
    [1767168000.5, /not a whole, non-negative number/],
    [-1, /not a whole, non-negative number/],
    [Number.NaN, /not a whole, non-negative number/],
  ])('%j is refused with a clear message', (text, message) => {
    expect(() => parseInstant(text)).toThrow(message);
    expect(() => parseInstant(text)).toThrow(/^invalid instant: /);
  });

  it('reads any instant from 1970 to year 5000, in any offset, as the calendar does (Date)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 95_617_584_000 }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (seconds, offsetMinutes) => {
          const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseInstant(`${local}${zone}`)).toBe(seconds);
          expect(parseInstant(`${new Date(seconds * 1000).toISOString()}`)).toBe(seconds);
        },
      ),
      { seed: 20261125, numRuns: 2000 },
    );
  });
});
