// The taxi example's Bronze parser as it was tuned for the benchmarks: timestamps checked by the
// character-code reader of ny-time.ts instead of a regular expression. The example's parseBronze
// (examples/taxi/bronze.ts) is the definition; test/taxi/bronze.test.ts pins this one to it on
// generated and hostile lines, and bench/fast-paths.bench.ts measures both. The end-to-end
// benchmark jobs (bench/e2e/streamkit-job.ts, bench/ceiling.ts) parse with this one.
import type { BronzeResult } from '../../examples/taxi/bronze.js';
import { parseNaiveTimestamp } from '../../examples/taxi/ny-time.js';
import { RAW_DECIMAL_COLUMNS, RAW_INTEGER_COLUMNS, type RawTrip } from '../../examples/taxi/raw-trip.js';

const TIMESTAMP_COLUMNS = ['tpep_pickup_datetime', 'tpep_dropoff_datetime'] as const;

function reject(reason: string, raw: unknown): BronzeResult {
  return { ok: false, deadLetter: { reason, raw, operator: 'taxi.bronze' } };
}

/**
 * `parseBronze` of the example, result for result, with timestamps read by character codes.
 * @param raw - a JSON text line or a decoded object.
 * @example parseBronzeTuned('{"VendorID":2,…}') // { ok: true, trip: … }
 */
export function parseBronzeTuned(raw: unknown): BronzeResult {
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
