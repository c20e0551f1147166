import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rtcAdvance, rtcCalendarFromUnix, rtcDaysInMonth } from './rtc-calendar.js';

describe('RTC calendar', () => {
  it('converts Unix times to the chip calendar with Sunday = 1', () => {
    expect(rtcCalendarFromUnix(0)).toEqual({
      second: 0,
      minute: 0,
      hour: 0,
      weekday: 5,
      day: 1,
      month: 1,
      year: 70,
      century: 19,
    });
    expect(rtcCalendarFromUnix(946684800)).toMatchObject({
      weekday: 7,
      day: 1,
      month: 1,
      year: 0,
      century: 20,
    });
    expect(rtcCalendarFromUnix(1709251199)).toMatchObject({
      hour: 23,
      minute: 59,
      second: 59,
      day: 29,
      month: 2,
      year: 24,
    });
  });

  it('uses the chip leap rule (year divisible by 4)', () => {
    expect(rtcDaysInMonth(2, 24)).toBe(29);
    expect(rtcDaysInMonth(2, 23)).toBe(28);
    expect(rtcDaysInMonth(2, 0)).toBe(29);
    expect(rtcDaysInMonth(4, 1)).toBe(30);
  });

  it('advancing by n seconds agrees with the Gregorian calendar from 1901 to 2099 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2_177_452_800, max: 4_102_444_799 - 400 * 86400 }),
        fc.integer({ min: 0, max: 400 * 86400 }),
        (start, n) => {
          const cal = rtcCalendarFromUnix(start);
          rtcAdvance(cal, n);
          expect(cal).toEqual(rtcCalendarFromUnix(start + n));
        },
      ),
    );
  });
});
