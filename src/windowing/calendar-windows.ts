const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Bound on cached boundaries per grid: years of hourly windows, yet bounded memory. */
const MAX_CACHED = 100_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Checks that `timeZone` is an IANA zone name the runtime knows, returning its canonical name.
 * @param timeZone e.g. `'America/New_York'`.
 * @param factory the factory's name, used in the message.
 * @throws RangeError naming `timeZone` when the zone is unknown.
 * @example validateTimeZone('Europe/London', 'tumbling') // 'Europe/London'
 */
export function validateTimeZone(timeZone: unknown, factory: string): string {
  if (typeof timeZone !== 'string' || timeZone.length === 0) {
    throw new RangeError(`${factory}: timeZone must be an IANA time zone name such as 'America/New_York', got ${JSON.stringify(timeZone)}`);
  }
  try {
    formatterFor(timeZone);
  } catch {
    throw new RangeError(`${factory}: timeZone ${JSON.stringify(timeZone)} is not an IANA time zone known to this runtime`);
  }
  return timeZone;
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/**
 * The offset of `timeZone` from UTC at `instant`, in ms (local wall time = instant + offset).
 * Computed from `Intl` directly: date-fns-tz's `getTimezoneOffset` reads its date argument as a
 * wall time in the process's own zone, which is not an instant.
 * @param timeZone a zone accepted by {@link validateTimeZone}.
 * @param instant epoch milliseconds.
 * @example zoneOffset('America/New_York', Date.UTC(2024, 0, 1)) // -18_000_000
 */
export function zoneOffset(timeZone: string, instant: number): number {
  const parts = formatterFor(timeZone).formatToParts(instant);
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of parts) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      case 'era':
        bc = part.value.startsWith('B');
        break;
      default:
        break;
    }
  }
  const wall = new Date(0);
  wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  const wholeSecond = instant - (((instant % 1000) + 1000) % 1000);
  return wall.getTime() - wholeSecond;
}

/**
 * The first instant at which the clock of `timeZone` reads `wall` or later, where `wall` is a local
 * wall-clock time written as if it were UTC epoch ms. This is the calendar rule for boundaries: a
 * wall time skipped by a DST gap maps to the end of the gap, a repeated one to its first occurrence.
 * @param timeZone a zone accepted by {@link validateTimeZone}.
 * @param wall local wall time as UTC-based epoch ms, e.g. `Date.UTC(2024, 2, 10)` for local midnight.
 * @example firstInstantAtWall('America/Sao_Paulo', Date.UTC(2018, 10, 4)) // Date.UTC(2018, 10, 4, 3): 01:00 local
 */
export function firstInstantAtWall(timeZone: string, wall: number): number {
  // As in Temporal's GetPossibleEpochNanoseconds: at most one transition within a day either side.
  return instantAtWall(timeZone, wall, zoneOffset(timeZone, wall - DAY), zoneOffset(timeZone, wall + DAY));
}

function instantAtWall(timeZone: string, wall: number, before: number, after: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const offset of before === after ? [before] : [before, after]) {
    const candidate = wall - offset;
    if (zoneOffset(timeZone, candidate) === offset && candidate < best) best = candidate;
  }
  if (best !== Number.POSITIVE_INFINITY) return best;
  // `wall` falls in a gap: the answer is the transition instant, found by bisection between the
  // instant that reads `wall` under the later offset (still before) and under the earlier one (after).
  let lo = wall - Math.max(before, after);
  let hi = wall - Math.min(before, after);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (mid + zoneOffset(timeZone, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * A calendar grid of window boundaries in one time zone: boundary `j` is the first instant whose
 * local wall clock reads `j * step + offset` (wall time counted from 1970-01-01 00:00 local), and
 * `end(j)` the first instant reading that plus `span`. Assigners call this once per record, so
 * boundaries are cached by index, and the zone's offset is looked up once per local day: a day
 * whose offset is the same a day before and a day after holds no transition, and its boundaries
 * are plain arithmetic.
 * @example
 * const days = new CalendarGrid('America/New_York', 86_400_000, 0);
 * const j = days.indexAtOrBefore(Date.UTC(2024, 2, 10, 12));
 * [days.boundary(j), days.end(j)] // [2024-03-10T05:00Z, 2024-03-11T04:00Z]: a 23-hour day
 */
export class CalendarGrid {
  private readonly starts = new Map<number, number>();
  private readonly ends = new Map<number, number>();
  /** Per local day: its constant offset, or NaN when a transition is near. */
  private readonly dayOffsets = new Map<number, number>();
  /** The offset met last, to turn an instant into a grid index with at most a step of error. */
  private lastOffset = 0;

  /**
   * @param timeZone a validated IANA zone.
   * @param step grid step in ms of wall-clock time (whole hours dividing a day, or whole days).
   * @param offset shift of the grid in ms of wall-clock time.
   * @param span window length in ms of wall-clock time, for {@link CalendarGrid.end}.
   */
  constructor(
    readonly timeZone: string,
    readonly step: number,
    readonly offset: number,
    readonly span: number = step,
  ) {}

  /** The instant where window `j` starts. */
  boundary(j: number): number {
    let instant = this.starts.get(j);
    if (instant === undefined) {
      if (this.starts.size >= MAX_CACHED) this.starts.clear();
      instant = this.instantAt(j * this.step + this.offset);
      this.starts.set(j, instant);
    }
    return instant;
  }

  /** The instant where window `j` ends: its start's wall time plus `span`. */
  end(j: number): number {
    if (this.span === this.step) return this.boundary(j + 1);
    let instant = this.ends.get(j);
    if (instant === undefined) {
      if (this.ends.size >= MAX_CACHED) this.ends.clear();
      instant = this.instantAt(j * this.step + this.offset + this.span);
      this.ends.set(j, instant);
    }
    return instant;
  }

  /** The largest `j` whose boundary is at or before `t`. */
  indexAtOrBefore(t: number): number {
    let j = Math.floor((t + this.lastOffset - this.offset) / this.step);
    while (this.boundary(j) > t) j--;
    while (this.boundary(j + 1) <= t) j++;
    return j;
  }

  private instantAt(wall: number): number {
    const day = Math.floor(wall / DAY);
    let offset = this.dayOffsets.get(day);
    if (offset === undefined) {
      if (this.dayOffsets.size >= MAX_CACHED) this.dayOffsets.clear();
      const before = zoneOffset(this.timeZone, day * DAY - DAY);
      const after = zoneOffset(this.timeZone, day * DAY + 2 * DAY);
      offset = before === after ? before : Number.NaN;
      this.dayOffsets.set(day, offset);
    }
    if (!Number.isNaN(offset)) {
      this.lastOffset = offset;
      return wall - offset;
    }
    const instant = firstInstantAtWall(this.timeZone, wall);
    this.lastOffset = wall - instant;
    return instant;
  }
}

/**
 * Checks that a length can be laid on a calendar grid: whole hours that divide a day, or whole days.
 * @param ms the length in ms.
 * @param option the option's name for the message.
 * @throws RangeError naming the option and the rule.
 * @example checkCalendarStep(3_600_000, 'tumbling size')
 */
export function checkCalendarStep(ms: number, option: string): void {
  const ok = ms % HOUR === 0 && (DAY % ms === 0 || ms % DAY === 0);
  if (!ok) {
    throw new RangeError(
      `${option} must be whole hours dividing a day (1h, 2h, 3h, 4h, 6h, 8h, 12h) or whole days when timeZone is set, got ${ms} ms`,
    );
  }
}
