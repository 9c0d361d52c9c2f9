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
    [946684800, 946684800],
    ['2099-12-31T23:59:59Z', 4102444799],
  ])('%j → %d', (text, seconds) => {
    expect(parseInstant(text)).toBe(seconds);
  });

  it('takes a Date, read to the second below (as core does)', () => {
    expect(parseInstant(new Date('2025-12-31T08:00:00.999Z'))).toBe(1767168000);
    const now = new Date();
    expect(parseInstant(now)).toBe(Math.floor(now.getTime() / 1000));
    expect(() => parseInstant(new Date(Number.NaN))).toThrow('invalid instant: an invalid Date');
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
    ['1767168000000', /looks like milliseconds \(Date\.now\(\)\?\)/],
    [1767168000000, /looks like milliseconds/],
    [1767168000.5, /not a whole number of seconds/],
    [-1, /before 2000-01-01T00:00:00Z: not a plausible instant/],
    [0, /before 2000-01-01T00:00:00Z: not a plausible instant/],
    ['1999-12-31T23:59:59Z', /"1999-12-31T23:59:59Z" is outside the plausible instants/],
    ['2100-01-01', /outside the plausible instants \(2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z\)/],
    [Number.NaN, /not a finite number/],
  ])('%j is refused with a clear message', (text, message) => {
    expect(() => parseInstant(text)).toThrow(message);
    expect(() => parseInstant(text)).toThrow(/^invalid instant: /);
  });

  it('reads any plausible instant (2000 to 2100), in any offset, as the calendar does (Date)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 946_684_800 + 86_400, max: 4_102_444_800 - 86_400 - 1 }),
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
