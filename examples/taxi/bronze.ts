import type { DeadLetter } from '../../src/core/dead-letter.js';
import { RAW_DECIMAL_COLUMNS, RAW_INTEGER_COLUMNS, type RawTrip } from './raw-trip.js';

/** What Bronze makes of one raw record: a well-typed trip, or a dead letter saying why not. */
export type BronzeResult = { ok: true; trip: RawTrip } | { ok: false; deadLetter: DeadLetter };

const TIMESTAMP_COLUMNS = ['tpep_pickup_datetime', 'tpep_dropoff_datetime'] as const;

/** TLC's naive timestamp text: `YYYY-MM-DDTHH:mm:ss`, nothing before or after. */
const NAIVE_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/**
 * Whether `text` is a naive timestamp naming a real calendar time: `Date.UTC` rolls a field out of
 * range over into the next one (`2024-02-30` becomes March 1st, `24:00` the next day), so a
 * time whose fields read back unchanged is real.
 */
function isNaiveTimestamp(text: string): boolean {
  const match = NAIVE_TIMESTAMP.exec(text);
  if (match === null) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    time.getUTCMonth() === month - 1 &&
    time.getUTCDate() === day &&
    time.getUTCHours() === hour &&
    time.getUTCMinutes() === minute &&
    time.getUTCSeconds() === second
  );
}

function reject(reason: string, raw: unknown): BronzeResult {
  return { ok: false, deadLetter: { reason, raw, operator: 'taxi.bronze' } };
}

/**
 * Bronze: turns one raw record (a JSON line, or an already-decoded object such as a parquet row)
 * into a typed {@link RawTrip}, or a dead letter.
 *
 * Rules: the line must be a JSON object; both timestamps must be present, non-null,
 * `"YYYY-MM-DDTHH:mm:ss"` and real calendar times (a trip without event time cannot be placed in
 * any window); ids and counts must be integers or null; miles and dollars finite numbers or null
 * (a string such as `"17.7"` is a wrong type: it is not coerced, because silently fixing a
 * producer bug hides it); `store_and_fwd_flag` is `"Y"`, `"N"` or null. An absent non-timestamp
 * column reads as null, as a missing parquet column would. Values are otherwise kept as given:
 * Silver, not Bronze, decides what a valid trip is.
 *
 * @param raw - a JSON text line or a decoded object.
 * @returns `{ ok: true, trip }` or `{ ok: false, deadLetter: { reason, raw } }`.
 * @example
 * const r = parseBronze('{"VendorID":2,"tpep_pickup_datetime":"2024-01-01T00:57:55", …}');
 * if (r.ok) console.log(r.trip.PULocationID); else console.log(r.deadLetter.reason);
 */
export function parseBronze(raw: unknown): BronzeResult {
  return parseBronzeWith(raw, isNaiveTimestamp);
}

/**
 * {@link parseBronze} with another check of the timestamp text, which must accept exactly the texts
 * `isNaiveTimestamp` accepts: the benchmarks run the same rules with a faster check
 * (`bench/taxi/parse-bronze-tuned.ts`).
 *
 * @param raw - a JSON text line or a decoded object.
 * @param isTimestamp - whether a string is a naive timestamp naming a real calendar time.
 * @returns what {@link parseBronze} returns.
 * @example
 * parseBronzeWith(line, (text) => parseNaiveTimestamp(text) !== null);
 */
export function parseBronzeWith(raw: unknown, isTimestamp: (text: string) => boolean): BronzeResult {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      return reject(`broken JSON: ${(error as Error).message}`, raw);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not a JSON object', raw);
  }
  const o = value as Record<string, unknown>;
  for (const column of TIMESTAMP_COLUMNS) {
    const v = o[column];
    if (v === undefined || v === null) return reject(`missing timestamp: ${column}`, raw);
    if (typeof v !== 'string') return reject(`wrong type: ${column} must be a timestamp string, got ${typeof v}`, raw);
    if (!isTimestamp(v)) return reject(`bad timestamp: ${column} = ${JSON.stringify(v)}`, raw);
  }
  for (const column of RAW_INTEGER_COLUMNS) {
    const v = o[column];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isInteger(v))) {
      return reject(`wrong type: ${column} must be an integer or null, got ${JSON.stringify(v)}`, raw);
    }
  }
  for (const column of RAW_DECIMAL_COLUMNS) {
    const v = o[column];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isFinite(v))) {
      return reject(`wrong type: ${column} must be a number or null, got ${JSON.stringify(v)}`, raw);
    }
  }
  const flag = o.store_and_fwd_flag;
  if (flag !== undefined && flag !== null && flag !== 'Y' && flag !== 'N') {
    return reject(`wrong type: store_and_fwd_flag must be "Y", "N" or null, got ${JSON.stringify(flag)}`, raw);
  }
  // Validated above: every column present is of its type, and an absent one reads as null.
  const t = value as Partial<RawTrip>;
  return {
    ok: true,
    trip: {
      VendorID: t.VendorID ?? null,
      tpep_pickup_datetime: t.tpep_pickup_datetime as string,
      tpep_dropoff_datetime: t.tpep_dropoff_datetime as string,
      passenger_count: t.passenger_count ?? null,
      trip_distance: t.trip_distance ?? null,
      RatecodeID: t.RatecodeID ?? null,
      store_and_fwd_flag: t.store_and_fwd_flag ?? null,
      PULocationID: t.PULocationID ?? null,
      DOLocationID: t.DOLocationID ?? null,
      payment_type: t.payment_type ?? null,
      fare_amount: t.fare_amount ?? null,
      extra: t.extra ?? null,
      mta_tax: t.mta_tax ?? null,
      tip_amount: t.tip_amount ?? null,
      tolls_amount: t.tolls_amount ?? null,
      improvement_surcharge: t.improvement_surcharge ?? null,
      total_amount: t.total_amount ?? null,
      congestion_surcharge: t.congestion_surcharge ?? null,
      Airport_fee: t.Airport_fee ?? null,
    },
  };
}
