/**
 * The MC146818's time and calendar counters, in binary: what its update cycle increments once a
 * second. `year` is the chip's two-digit year (0–99); `century` is the PC's CMOS byte 0x32 that
 * this model keeps in step. `weekday` runs 1–7 with Sunday = 1 (MC146818A datasheet, Table 2
 * "Time, Calendar and Alarm Data Modes").
 */
export interface RtcCalendar {
  second: number;
  minute: number;
  hour: number;
  weekday: number;
  day: number;
  month: number;
  year: number;
  century: number;
}

/** Days in `month` (1–12) of two-digit `year`: the chip's leap rule is "year divisible by 4". */
export function rtcDaysInMonth(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The calendar for a Unix time (seconds since 1970-01-01 00:00:00 UTC), proleptic Gregorian. */
export function rtcCalendarFromUnix(unixSeconds: number): RtcCalendar {
  const days = Math.floor(unixSeconds / 86400);
  const secs = unixSeconds - days * 86400;
  // Civil date from a day count (the era/day-of-era method for the proleptic Gregorian calendar).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const fullYear = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    second: secs % 60,
    minute: Math.floor(secs / 60) % 60,
    hour: Math.floor(secs / 3600),
    // 1970-01-01 was a Thursday (weekday 5 with Sunday = 1).
    weekday: ((((days + 4) % 7) + 7) % 7) + 1,
    day,
    month,
    year: ((fullYear % 100) + 100) % 100,
    century: Math.floor(fullYear / 100),
  };
}

/**
 * Runs `n` update cycles (seconds) on `cal` in place, as the chip's counters carry: seconds into
 * minutes, hours, days of the month, months, years (and the PC century byte). Out-of-range values
 * written by a guest are first brought into range (the chip's behaviour for them is undefined).
 */
export function rtcAdvance(cal: RtcCalendar, n: number): void {
  if (n <= 0) return;
  cal.month = Math.min(12, Math.max(1, cal.month));
  cal.year = ((cal.year % 100) + 100) % 100;
  cal.day = Math.min(rtcDaysInMonth(cal.month, cal.year), Math.max(1, cal.day));
  cal.weekday = Math.min(7, Math.max(1, cal.weekday));
  const s = cal.second + n;
  cal.second = s % 60;
  const m = cal.minute + Math.floor(s / 60);
  cal.minute = m % 60;
  const h = cal.hour + Math.floor(m / 60);
  cal.hour = h % 24;
  let days = Math.floor(h / 24);
  cal.weekday = ((cal.weekday - 1 + days) % 7) + 1;
  while (days > 0) {
    const dim = rtcDaysInMonth(cal.month, cal.year);
    if (cal.day + days <= dim) {
      cal.day += days;
      break;
    }
    days -= dim - cal.day + 1;
    cal.day = 1;
    cal.month++;
    if (cal.month > 12) {
      cal.month = 1;
      cal.year++;
      if (cal.year > 99) {
        cal.year = 0;
        cal.century++;
      }
    }
  }
}
