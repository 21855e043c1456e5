import type { DeadLetter } from '../../src/core/dead-letter.js';
import { parseNaiveTimestamp } from './ny-time.js';
import { RAW_DECIMAL_COLUMNS, RAW_INTEGER_COLUMNS, type RawTrip } from './raw-trip.js';

/** What Bronze makes of one raw record: a well-typed trip, or a dead letter saying why not. */
export type BronzeResult = { ok: true; trip: RawTrip } | { ok: false; deadLetter: DeadLetter };

const TIMESTAMP_COLUMNS = ['tpep_pickup_datetime', 'tpep_dropoff_datetime'] as const;

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
    if (parseNaiveTimestamp(v) === null) return reject(`bad timestamp: ${column} = ${JSON.stringify(v)}`, raw);
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
  const num = (k: string): number | null => (o[k] ?? null) as number | null;
  return {
    ok: true,
    trip: {
      VendorID: num('VendorID'),
      tpep_pickup_datetime: o.tpep_pickup_datetime as string,
      tpep_dropoff_datetime: o.tpep_dropoff_datetime as string,
      passenger_count: num('passenger_count'),
      trip_distance: num('trip_distance'),
      RatecodeID: num('RatecodeID'),
      store_and_fwd_flag: (flag ?? null) as 'Y' | 'N' | null,
      PULocationID: num('PULocationID'),
      DOLocationID: num('DOLocationID'),
      payment_type: num('payment_type'),
      fare_amount: num('fare_amount'),
      extra: num('extra'),
      mta_tax: num('mta_tax'),
      tip_amount: num('tip_amount'),
      tolls_amount: num('tolls_amount'),
      improvement_surcharge: num('improvement_surcharge'),
      total_amount: num('total_amount'),
      congestion_surcharge: num('congestion_surcharge'),
      Airport_fee: num('Airport_fee'),
    },
  };
}
