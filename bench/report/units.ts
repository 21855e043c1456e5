// Numbers as a reader reads them: plain units, no float noise ("100k events/s", "400 MB", "6.9 s").

/**
 * A whole number with thousands separators.
 * @example int(1234567.4) // '1,234,567'
 */
export function int(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/**
 * A count in short form: 950, 12k, 1.5M (two significant figures below 10 of a unit, else whole).
 * @example compact(1_500_000) // '1.5M'
 */
export function compact(x: number): string {
  const abs = Math.abs(x);
  const scaled = (v: number, suffix: string) => `${trim(v < 10 ? v.toFixed(1) : Math.round(v).toString())}${suffix}`;
  if (abs >= 1e9) return scaled(x / 1e9, 'G');
  if (abs >= 1e6) return scaled(x / 1e6, 'M');
  if (abs >= 1e3) return scaled(x / 1e3, 'k');
  return trim(abs < 10 && abs !== Math.round(abs) ? x.toFixed(1) : Math.round(x).toString());
}

/** Drops a trailing ".0". */
function trim(s: string): string {
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/**
 * Events per second in short form.
 * @example rate(98_765) // '99k events/s'
 */
export function rate(eventsPerSecond: number): string {
  return `${compact(eventsPerSecond)} events/s`;
}

/**
 * Megabytes as MB, or GB from 1,000 MB on.
 * @example megabytes(1163.0025) // '1.2 GB'
 */
export function megabytes(mb: number): string {
  if (mb >= 1000) return `${trim((mb / 1000).toFixed(1))} GB`;
  return `${Math.round(mb)} MB`;
}

/**
 * Milliseconds as ms below a second, else seconds with one decimal (whole from 100 s).
 * @example duration(6_870) // '6.9 s'
 */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return s >= 100 ? `${Math.round(s)} s` : `${trim(s.toFixed(1))} s`;
}

/**
 * A ratio as "1.23×" (three decimals below 0.1).
 * @example ratio(3, 2) // '1.50×'
 */
export function ratio(a: number, b: number): string {
  const r = a / b;
  return `${r.toFixed(r < 0.1 ? 3 : 2)}×`;
}

/**
 * Axis ticks from 0 to at least `max`: round steps of 1, 2 or 5 times a power of ten, each tick an
 * exact multiple of the step (computed as integer × step and rounded to the step's decimals, so no
 * 0.30000000000000004 reaches a label).
 * @param max - the largest value to show (> 0).
 * @param target - about how many intervals.
 * @returns ascending ticks, the first 0 and the last >= max.
 * @example niceTicks(1163, 4) // [0, 500, 1000, 1500]
 */
export function niceTicks(max: number, target = 4): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) as number;
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const t = Number((i * step).toFixed(decimals));
    ticks.push(t);
    if (t >= max) break;
  }
  return ticks;
}
