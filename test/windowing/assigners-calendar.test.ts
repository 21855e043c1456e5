import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CalendarGrid, firstInstantAtWall, zoneOffset } from '../../src/windowing/calendar-windows.js';
import { hopping, tumbling } from '../../src/windowing/index.js';

const H = 3_600_000;
const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);
const hours = (w: { start: number; end: number }) => (w.end - w.start) / H;

/** The local calendar date and time of an instant, as the runtime's time-zone database has it. */
function local(timeZone: string, t: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(t);
}

function expectBounds(assign: (t: number) => { start: number; end: number }[], start: number, end: number) {
  expect(assign(start)).toEqual([{ start, end }]);
  expect(assign(end - 1)).toEqual([{ start, end }]);
  expect(assign(end)[0].start).toBe(end);
  expect(assign(start - 1)[0].end).toBe(start);
}

describe("tumbling('1d', { timeZone })", () => {
  it('America/New_York spring-forward day 2024-03-10 lasts 23 h, midnight to midnight', () => {
    const a = tumbling('1d', { timeZone: 'America/New_York' });
    const start = utc(2024, 3, 10, 5);
    const end = utc(2024, 3, 11, 4);
    expectBounds((t) => a.assignWindows(t), start, end);
    expect(hours({ start, end })).toBe(23);
    expect(local('America/New_York', start)).toBe('2024-03-10 00:00:00');
    expect(local('America/New_York', end)).toBe('2024-03-11 00:00:00');
  });

  it('America/New_York fall-back day 2024-11-03 lasts 25 h', () => {
    const a = tumbling('1d', { timeZone: 'America/New_York' });
    expectBounds((t) => a.assignWindows(t), utc(2024, 11, 3, 4), utc(2024, 11, 4, 5));
  });

  it('Europe/London 2024-03-31 lasts 23 h and 2024-10-27 lasts 25 h', () => {
    const a = tumbling('1d', { timeZone: 'Europe/London' });
    expectBounds((t) => a.assignWindows(t), utc(2024, 3, 31, 0), utc(2024, 3, 31, 23));
    expectBounds((t) => a.assignWindows(t), utc(2024, 10, 26, 23), utc(2024, 10, 28, 0));
  });

  it('a non-existent local midnight (America/Sao_Paulo 2018-11-04) starts the day at the first instant of that day', () => {
    const a = tumbling('1d', { timeZone: 'America/Sao_Paulo' });
    const start = utc(2018, 11, 4, 3);
    expect(local('America/Sao_Paulo', start)).toBe('2018-11-04 01:00:00');
    expect(local('America/Sao_Paulo', start - 1)).toBe('2018-11-03 23:59:59');
    expectBounds((t) => a.assignWindows(t), start, utc(2018, 11, 5, 2));
    // The day before keeps its 24 hours and ends exactly where this one starts.
    expect(a.assignWindows(utc(2018, 11, 3, 12))).toEqual([{ start: utc(2018, 11, 3, 3), end: start }]);
  });

  it('a repeated local midnight (America/Havana 2024-11-03) starts the day at its first occurrence', () => {
    const a = tumbling('1d', { timeZone: 'America/Havana' });
    const first = utc(2024, 11, 3, 4);
    const second = utc(2024, 11, 3, 5);
    expect(local('America/Havana', first)).toBe('2024-11-03 00:00:00');
    expect(local('America/Havana', second)).toBe('2024-11-03 00:00:00');
    expectBounds((t) => a.assignWindows(t), first, utc(2024, 11, 4, 5));
    expect(a.assignWindows(second + 30 * 60_000)).toEqual(a.assignWindows(first + 30 * 60_000));
  });

  it('a clock set back across midnight (Asia/Beirut 2023-10-29) gives the repeated hour to the new day', () => {
    const a = tumbling('1d', { timeZone: 'Asia/Beirut' });
    // 00:00 EEST became 23:00 EET of the 28th; the 29th begins at the one real midnight.
    const oct28 = a.assignWindows(utc(2023, 10, 28, 12))[0];
    expect(oct28).toEqual({ start: utc(2023, 10, 27, 21), end: utc(2023, 10, 28, 22) });
    expect(hours(oct28)).toBe(25);
    expect(local('Asia/Beirut', oct28.end)).toBe('2023-10-29 00:00:00');
  });

  it("an offset moves the day's boundary in local wall-clock time", () => {
    const a = tumbling('1d', { timeZone: 'America/New_York', offset: '6h' });
    const w = a.assignWindows(utc(2024, 3, 10, 12))[0];
    expect(local('America/New_York', w.start)).toBe('2024-03-10 06:00:00');
    expect(local('America/New_York', w.end)).toBe('2024-03-11 06:00:00');
    expect(hours(w)).toBe(24);
    expect(a.assignWindows(utc(2024, 3, 10, 5))[0].end).toBe(w.start);
  });

  it('a negative offset starts the day before, in local time', () => {
    const a = tumbling('1d', { timeZone: 'America/New_York', offset: '-6h' });
    const w = a.assignWindows(utc(2024, 11, 3, 12))[0];
    expect(local('America/New_York', w.start)).toBe('2024-11-02 18:00:00');
    expect(local('America/New_York', w.end)).toBe('2024-11-03 18:00:00');
    expect(hours(w)).toBe(25);
  });

  it('tiles time: consecutive days touch, each contains its instants and starts at local midnight or a gap end', () => {
    const zones = ['America/New_York', 'Europe/London', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Havana'];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: utc(2015, 1, 1), max: utc(2026, 12, 31) }), (zone, t) => {
        const a = tumbling('1d', { timeZone: zone });
        const [w] = a.assignWindows(t);
        expect(w.start <= t && t < w.end).toBe(true);
        expect(a.assignWindows(w.end)[0].start).toBe(w.end);
        expect(a.assignWindows(w.start - 1)[0].end).toBe(w.start);
        expect(hours(w)).toBeGreaterThanOrEqual(23);
        expect(hours(w)).toBeLessThanOrEqual(25);
        // Just before the start it is still the previous local day.
        expect(local(zone, w.start - 1).slice(0, 10) < local(zone, w.start).slice(0, 10)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("tumbling('1h' | '6h', { timeZone })", () => {
  it('America/New_York spring forward: local hour 02 does not exist, no empty window appears', () => {
    const a = tumbling('1h', { timeZone: 'America/New_York' });
    expect(a.assignWindows(utc(2024, 3, 10, 6, 30))).toEqual([{ start: utc(2024, 3, 10, 6), end: utc(2024, 3, 10, 7) }]);
    expect(a.assignWindows(utc(2024, 3, 10, 7))).toEqual([{ start: utc(2024, 3, 10, 7), end: utc(2024, 3, 10, 8) }]);
    expect(local('America/New_York', utc(2024, 3, 10, 7))).toBe('2024-03-10 03:00:00');
  });

  it('America/New_York fall back: the repeated local hour 01 is one window of 2 h', () => {
    const a = tumbling('1h', { timeZone: 'America/New_York' });
    const w = { start: utc(2024, 11, 3, 5), end: utc(2024, 11, 3, 7) };
    expectBounds((t) => a.assignWindows(t), w.start, w.end);
    expect(a.assignWindows(utc(2024, 11, 3, 6, 30))).toEqual([w]);
    expect(a.assignWindows(utc(2024, 11, 3, 7))).toEqual([{ start: utc(2024, 11, 3, 7), end: utc(2024, 11, 3, 8) }]);
  });

  it('Europe/London: local 01:00 skipped on 2024-03-31, doubled on 2024-10-27', () => {
    const a = tumbling('1h', { timeZone: 'Europe/London' });
    expect(a.assignWindows(utc(2024, 3, 31, 0, 59))).toEqual([{ start: utc(2024, 3, 31, 0), end: utc(2024, 3, 31, 1) }]);
    expect(a.assignWindows(utc(2024, 3, 31, 1))).toEqual([{ start: utc(2024, 3, 31, 1), end: utc(2024, 3, 31, 2) }]);
    expect(a.assignWindows(utc(2024, 10, 27, 0, 30))).toEqual([{ start: utc(2024, 10, 27, 0), end: utc(2024, 10, 27, 2) }]);
  });

  it('half-hour zones align hours to the local clock (Asia/Kolkata)', () => {
    const a = tumbling('1h', { timeZone: 'Asia/Kolkata' });
    expect(a.assignWindows(utc(2024, 1, 1, 0, 40))).toEqual([{ start: utc(2024, 1, 1, 0, 30), end: utc(2024, 1, 1, 1, 30) }]);
  });

  it('multi-hour windows align from local midnight: 6 h on the spring-forward day', () => {
    const a = tumbling('6h', { timeZone: 'America/New_York' });
    const first = a.assignWindows(utc(2024, 3, 10, 6))[0];
    expect(first).toEqual({ start: utc(2024, 3, 10, 5), end: utc(2024, 3, 10, 10) });
    expect(local('America/New_York', first.end)).toBe('2024-03-10 06:00:00');
  });

  it('in UTC equals plain tumbling for whole-hour and whole-day sizes and offsets', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 6, 8, 12, 24, 48, 168),
        fc.integer({ min: -1e12, max: 4e12 }),
        fc.integer({ min: -200, max: 200 }),
        (sizeHours, t, rawOffset) => {
          const offset = (rawOffset % sizeHours) * H;
          expect(tumbling(sizeHours * H, { timeZone: 'UTC', offset }).assignWindows(t)).toEqual(
            tumbling(sizeHours * H, { offset }).assignWindows(t),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects unknown zones and sizes that are not calendar steps, naming the option', () => {
    expect(() => tumbling('1d', { timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
    expect(() => tumbling('1d', { timeZone: 'Mars/Olympus_Mons' })).toThrow(/timeZone/);
    expect(() => tumbling('1d', { timeZone: '' })).toThrow(/timeZone/);
    expect(() => tumbling('90m', { timeZone: 'UTC' })).toThrow(/tumbling size must be whole hours/);
    expect(() => tumbling('5h', { timeZone: 'UTC' })).toThrow(RangeError);
    expect(() => tumbling('36h', { timeZone: 'UTC' })).toThrow(RangeError);
  });
});

describe('hopping with timeZone', () => {
  it('windows start on the local hop grid and end where the clock reads start + size', () => {
    const a = hopping('2h', '1h', { timeZone: 'America/New_York' });
    // 05:30Z is 01:30 EDT, the first pass through local 01:xx.
    expect(a.assignWindows(utc(2024, 11, 3, 5, 30))).toEqual([
      { start: utc(2024, 11, 3, 4), end: utc(2024, 11, 3, 7) },
      { start: utc(2024, 11, 3, 5), end: utc(2024, 11, 3, 8) },
    ]);
  });

  it('keeps two windows that share a start inside a DST gap but end differently', () => {
    const a = hopping('2h', '1h', { timeZone: 'America/New_York' });
    // Local 02:00 does not exist on 2024-03-10: windows "02:00–04:00" and "03:00–05:00" both start at 07:00Z.
    expect(a.assignWindows(utc(2024, 3, 10, 7, 30))).toEqual([
      { start: utc(2024, 3, 10, 7), end: utc(2024, 3, 10, 8) },
      { start: utc(2024, 3, 10, 7), end: utc(2024, 3, 10, 9) },
    ]);
  });

  it('with hop = size equals calendar tumbling', () => {
    const zones = ['America/New_York', 'Europe/London', 'America/Sao_Paulo'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom('1h', '3h', '1d'),
        fc.integer({ min: utc(2016, 1, 1), max: utc(2025, 1, 1) }),
        (zone, size, t) => {
          expect(hopping(size, size, { timeZone: zone }).assignWindows(t)).toEqual(tumbling(size, { timeZone: zone }).assignWindows(t));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a 1-day window every hour holds a record in 24 windows on an ordinary day', () => {
    const a = hopping('1d', '1h', { timeZone: 'Europe/London' });
    const windows = a.assignWindows(utc(2024, 6, 15, 12, 30));
    expect(windows).toHaveLength(24);
    for (const w of windows) expect(hours(w)).toBe(24);
  });

  it('applies the offset to the local hop grid', () => {
    const a = hopping('2h', '1h', { timeZone: 'Asia/Kolkata', offset: '30m' });
    // Kolkata is UTC+5:30, so local hh:30 boundaries fall on whole UTC hours.
    expect(a.assignWindows(utc(2024, 1, 1, 1, 15))).toEqual([
      { start: utc(2024, 1, 1, 0), end: utc(2024, 1, 1, 2) },
      { start: utc(2024, 1, 1, 1), end: utc(2024, 1, 1, 3) },
    ]);
  });

  it('equals the boundary rule applied directly, for any sequence of record times', () => {
    const zones = ['America/New_York', 'Europe/London', 'America/Sao_Paulo', 'Australia/Lord_Howe'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom<[number, number]>([2, 1], [6, 1], [24, 1], [3, 2], [48, 24]),
        fc.integer({ min: utc(2016, 1, 1), max: utc(2025, 1, 1) }),
        fc.array(fc.integer({ min: -30 * H, max: 30 * H }), { minLength: 1, maxLength: 20 }),
        (zone, [sizeH, hopH], base, deltas) => {
          const a = hopping(sizeH * H, hopH * H, { timeZone: zone });
          for (const t of deltas.map((d) => base + d)) {
            const expected: { start: number; end: number }[] = [];
            // Local time is within 15 h of UTC: these grid indices cover every window holding t.
            const jFirst = Math.floor((t - 15 * H - sizeH * H) / (hopH * H)) - 1;
            const jLast = Math.floor((t + 15 * H) / (hopH * H)) + 1;
            for (let j = jFirst; j <= jLast; j++) {
              const start = firstInstantAtWall(zone, j * hopH * H);
              const end = firstInstantAtWall(zone, j * hopH * H + sizeH * H);
              if (start <= t && t < end && !expected.some((w) => w.start === start && w.end === end)) expected.push({ start, end });
            }
            expect(a.assignWindows(t)).toEqual(expected);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('rejects a hop that is not a calendar step', () => {
    expect(() => hopping('2h', '90m', { timeZone: 'UTC' })).toThrow(/hopping hop must be whole hours/);
    expect(() => hopping('150m', '1h', { timeZone: 'UTC' })).toThrow(/hopping size must be whole hours/);
    expect(() => hopping('2h', '1h', { timeZone: 'Nowhere/Land' })).toThrow(/timeZone/);
  });
});

describe('zone arithmetic', () => {
  it('zoneOffset reads offsets of instants, including historical ones', () => {
    expect(zoneOffset('America/New_York', utc(2024, 1, 1))).toBe(-5 * H);
    expect(zoneOffset('America/New_York', utc(2024, 7, 1))).toBe(-4 * H);
    expect(zoneOffset('America/Sao_Paulo', utc(2018, 11, 4, 2, 59))).toBe(-3 * H);
    expect(zoneOffset('America/Sao_Paulo', utc(2018, 11, 4, 3))).toBe(-2 * H);
    expect(zoneOffset('Asia/Kolkata', utc(2024, 1, 1))).toBe(5.5 * H);
  });

  it('firstInstantAtWall maps gaps to their end and repeats to their first occurrence', () => {
    expect(firstInstantAtWall('America/New_York', utc(2024, 3, 10, 2, 30))).toBe(utc(2024, 3, 10, 7));
    expect(firstInstantAtWall('America/New_York', utc(2024, 11, 3, 1, 30))).toBe(utc(2024, 11, 3, 5, 30));
    expect(firstInstantAtWall('UTC', utc(2024, 2, 29, 13, 7))).toBe(utc(2024, 2, 29, 13, 7));
  });
});

describe('calendar grid caching', () => {
  const zones = [
    'America/New_York',
    'Europe/London',
    'America/Sao_Paulo',
    'America/St_Johns',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'Pacific/Chatham',
    'Pacific/Apia',
    'Asia/Beirut',
    'America/Havana',
  ];

  it('per-day offset shortcuts give the same boundaries as the exact per-boundary rule', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(1, 2, 24),
        fc.integer({ min: 0, max: 60 * 365 * 24 }),
        (zone, stepHours, index) => {
          const grid = new CalendarGrid(zone, stepHours * H, 0);
          const j = Math.floor(index / stepHours);
          // Touch neighbours in a scattered order so the day cache is filled from both sides.
          grid.boundary(j + 3);
          grid.boundary(j - 2);
          expect(grid.boundary(j)).toBe(firstInstantAtWall(zone, j * stepHours * H));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a local day that never happened (Pacific/Apia 2011-12-30) has no window', () => {
    const a = tumbling('1d', { timeZone: 'Pacific/Apia' });
    const jump = utc(2011, 12, 30, 10);
    expect(local('Pacific/Apia', jump - 1)).toBe('2011-12-29 23:59:59');
    expect(local('Pacific/Apia', jump)).toBe('2011-12-31 00:00:00');
    expect(a.assignWindows(jump - 1)[0].end).toBe(jump);
    expect(a.assignWindows(jump)[0]).toEqual({ start: jump, end: jump + 24 * H });
  });
});
