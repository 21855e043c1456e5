import { fromZonedTime } from 'date-fns-tz/fromZonedTime';

/** The zone TLC timestamps are written in: naive wall-clock time in New York. */
export const TAXI_TIME_ZONE = 'America/New_York';

const HOUR_MS = 3_600_000;

/**
 * UTC offset (ms) of each local wall-clock hour, keyed by the hour's naive epoch. Offsets only
 * change on whole hours in New York, so one lookup per hour is exact and makes conversion of a
 * month of trips cost one date-fns-tz call per hour instead of one per record.
 */
const offsetByLocalHour = new Map<number, number>();
/**
 * The offset of a local day whose first and last hours have the same offset, keyed by the day's
 * naive epoch; `null` for a DST-change day, whose hours are looked up one by one. New York changes
 * offset at most once a day, so equal ends mean the same offset all day: two date-fns-tz calls a
 * day instead of twenty-four.
 */
const offsetByLocalDay = new Map<number, number | null>();

/**
 * Reads a naive `"YYYY-MM-DDTHH:mm:ss"` timestamp as the same wall-clock fields in UTC
 * ("naive epoch" ms), or `null` when the text is not such a timestamp or names a day that does
 * not exist (`2024-02-30`).
 *
 * @param text - the timestamp as TLC writes it.
 * @returns naive epoch milliseconds, or `null`.
 * @example
 * parseNaiveTimestamp('2024-01-01T00:57:55'); // 1704070675000
 */
export function parseNaiveTimestamp(text: string): number | null {
  // Read by character codes: every trip parses its timestamps several times (Bronze, Silver,
  // metrics), and a regular expression with six captures allocated seven strings each time.
  if (typeof text !== 'string' || text.length !== 19) return null;
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== LETTER_T) return null;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return null;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // A non-digit made its field negative, which the range checks below reject.
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
    return null;
  // The same reading as Date.UTC (years 0-99 are 1900-1999), by arithmetic rather than a Date per
  // call; a day past the month's end (2024-02-30) is rejected rather than rolled over.
  const y = year < 100 ? 1900 + year : year;
  if (day > daysInMonth(y, month)) return null;
  return daysFromCivil(y, month, day) * DAY_MS + hour * HOUR_MS + minute * 60_000 + second * 1000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const DASH = 0x2d;
const COLON = 0x3a;
const LETTER_T = 0x54;

/** The decimal value of `length` ASCII digits of `text` from `at`, or -1 if one is not a digit. */
function digits(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Formats naive epoch ms back to TLC's `"YYYY-MM-DDTHH:mm:ss"` form.
 *
 * @param naiveMs - wall-clock fields encoded as UTC epoch ms.
 * @returns the naive timestamp text.
 * @example
 * formatNaiveTimestamp(1704070675000); // '2024-01-01T00:57:55'
 */
export function formatNaiveTimestamp(naiveMs: number): string {
  const day = Math.floor(naiveMs / DAY_MS);
  let prefix = dayPrefix.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    if (dayPrefix.size > 10_000) dayPrefix.clear();
    dayPrefix.set(day, prefix);
  }
  const second = Math.floor((naiveMs - day * DAY_MS) / 1000);
  return prefix + TWO_DIGITS[Math.floor(second / 3600)] + ':' + TWO_DIGITS[Math.floor(second / 60) % 60] + ':' + TWO_DIGITS[second % 60];
}

const DAY_MS = 86_400_000;
/** `"YYYY-MM-DDT"` per day number: formatting a month of timestamps builds each date text once. */
const dayPrefix = new Map<number, string>();
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/**
 * Converts a naive New York wall-clock time to real epoch milliseconds, DST-correct (a repeated
 * autumn hour resolves to its first occurrence, as date-fns-tz does).
 *
 * @param naiveMs - wall-clock fields encoded as UTC epoch ms (see {@link parseNaiveTimestamp}).
 * @returns epoch milliseconds.
 * @example
 * nyNaiveToEpoch(parseNaiveTimestamp('2024-01-01T00:57:55')!); // 1704088675000 (05:57:55Z)
 */
export function nyNaiveToEpoch(naiveMs: number): number {
  const dayStart = Math.floor(naiveMs / DAY_MS) * DAY_MS;
  let dayOffset = offsetByLocalDay.get(dayStart);
  if (dayOffset === undefined) {
    const first = hourOffset(dayStart);
    dayOffset = first === hourOffset(dayStart + DAY_MS - HOUR_MS) ? first : null;
    offsetByLocalDay.set(dayStart, dayOffset);
  }
  return naiveMs - (dayOffset ?? hourOffset(Math.floor(naiveMs / HOUR_MS) * HOUR_MS));
}

/** The UTC offset (ms) of the local hour starting at naive epoch `hourStart`, as date-fns-tz reads it. */
function hourOffset(hourStart: number): number {
  let offset = offsetByLocalHour.get(hourStart);
  if (offset === undefined) {
    offset = hourStart - fromZonedTime(formatNaiveTimestamp(hourStart), TAXI_TIME_ZONE).getTime();
    offsetByLocalHour.set(hourStart, offset);
  }
  return offset;
}

/**
 * Epoch milliseconds of local midnight starting a New York calendar day.
 *
 * @param date - `"YYYY-MM-DD"`.
 * @returns epoch ms of that day's first instant in New York.
 * @example
 * nyDayStart('2024-01-13'); // 1705122000000
 */
export function nyDayStart(date: string): number {
  const naive = parseNaiveTimestamp(`${date}T00:00:00`);
  if (naive === null) throw new RangeError(`date must be "YYYY-MM-DD", got ${JSON.stringify(date)}`);
  return nyNaiveToEpoch(naive);
}
