import type { GoldTrip } from './metrics.js';

/** The columns the batch check reads: one typed array each, so a month of trips stays small. */
const NUMERIC = [
  'pickup_ts',
  'passenger_count',
  'trip_distance_miles',
  'trip_duration_minutes',
  'avg_speed_mph',
  'tip_percentage',
  'fare_amount',
  'tip_amount',
  'total_amount',
  'payment_type_id',
] as const;
type NumericColumn = (typeof NUMERIC)[number];

/**
 * The Gold input rows kept for the DuckDB batch check, stored by column (about 90 bytes a trip
 * rather than a kilobyte-sized object). Nulls are kept as NaN and read back as null.
 */
export class GoldInputColumns implements Iterable<GoldTrip> {
  private length = 0;
  private capacity = 1024;
  private columns = new Map<NumericColumn, Float64Array>(NUMERIC.map((c) => [c, new Float64Array(1024)]));
  private dates: string[] = [];

  get size(): number {
    return this.length;
  }

  push(t: GoldTrip): void {
    if (this.length === this.capacity) this.grow();
    for (const c of NUMERIC) {
      const v = t[c];
      this.columns.get(c)![this.length] = v === null ? Number.NaN : (v as number);
    }
    this.dates.push(t.pickup_date);
    this.length++;
  }

  /** Rows with the batch check's fields; one object is reused, so read each before the next. */
  *[Symbol.iterator](): Iterator<GoldTrip> {
    const row = {} as Record<string, unknown>;
    for (let i = 0; i < this.length; i++) {
      for (const c of NUMERIC) {
        const v = this.columns.get(c)![i];
        row[c] = Number.isNaN(v) ? null : v;
      }
      row.pickup_date = this.dates[i];
      yield row as unknown as GoldTrip;
    }
  }

  private grow(): void {
    this.capacity *= 2;
    for (const c of NUMERIC) {
      const bigger = new Float64Array(this.capacity);
      bigger.set(this.columns.get(c)!);
      this.columns.set(c, bigger);
    }
  }
}
