import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type ParquetParsers } from 'hyparquet';
import { formatNaiveTimestamp } from './ny-time.js';
import { RAW_TRIP_COLUMNS, type RawTrip } from './raw-trip.js';

/** Options of {@link readParquetTrips}. */
export interface ReadParquetTripsOptions {
  /** Rows decoded at a time; bounds memory on the 3-million-row month file. Default 65,536. */
  chunkRows?: number;
}

/**
 * TLC writes `timestamp[us]` without a zone: New York wall-clock fields. Decoding them straight to
 * naive text (rather than to a `Date`, which would claim they are UTC) keeps the meaning intact.
 */
const naiveTimestampParsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (ms: bigint) => formatNaiveTimestamp(Number(ms)),
  timestampFromMicroseconds: (us: bigint) => formatNaiveTimestamp(Number(us / 1000n)),
  timestampFromNanoseconds: (ns: bigint) => formatNaiveTimestamp(Number(ns / 1_000_000n)),
};

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  return v as number;
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 19);
  return String(v);
}

/**
 * Reads the real TLC yellow-taxi parquet file (e.g. `yellow_tripdata_2024-01.parquet`) with a
 * pure-JS reader, yielding trips in the generator's shape: the 19 columns under their TLC names,
 * ids as numbers (INT64 columns converted from bigint), naive `"YYYY-MM-DDTHH:mm:ss"` timestamps,
 * null for missing values and for columns the file lacks. `airport_fee`, as older files spell it,
 * is read as `Airport_fee`. File order is kept: it is the order the trips were published in.
 *
 * @param path - the parquet file.
 * @param options - see {@link ReadParquetTripsOptions}.
 * @returns the trips, read a chunk of rows at a time.
 * @example
 * for await (const trip of readParquetTrips('yellow_tripdata_2024-01.parquet')) lines.push(rawTripLine(trip));
 */
export async function* readParquetTrips(path: string, options: ReadParquetTripsOptions = {}): AsyncGenerator<RawTrip> {
  const chunkRows = options.chunkRows ?? 65_536;
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) {
    throw new RangeError(`chunkRows must be a positive integer, got ${chunkRows}`);
  }
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file, { parsers: naiveTimestampParsers });
  const present = new Set(metadata.schema.slice(1).map((s) => s.name));
  const sourceName = (column: string): string | undefined => {
    if (present.has(column)) return column;
    return [...present].find((p) => p.toLowerCase() === column.toLowerCase());
  };
  const sourceOf = new Map<string, string>();
  for (const c of RAW_TRIP_COLUMNS) {
    const s = sourceName(c);
    if (s !== undefined) sourceOf.set(c, s);
  }
  const columns = [...sourceOf.values()];
  const total = Number(metadata.num_rows);
  for (let start = 0; start < total; start += chunkRows) {
    const rows = await parquetReadObjects({
      file,
      metadata,
      columns,
      rowStart: start,
      rowEnd: Math.min(start + chunkRows, total),
      parsers: naiveTimestampParsers,
    });
    for (const row of rows) {
      const get = (c: (typeof RAW_TRIP_COLUMNS)[number]): unknown => {
        const s = sourceOf.get(c);
        return s === undefined ? null : row[s];
      };
      const flag = toText(get('store_and_fwd_flag'));
      yield {
        VendorID: toNumber(get('VendorID')),
        tpep_pickup_datetime: toText(get('tpep_pickup_datetime')),
        tpep_dropoff_datetime: toText(get('tpep_dropoff_datetime')),
        passenger_count: toNumber(get('passenger_count')),
        trip_distance: toNumber(get('trip_distance')),
        RatecodeID: toNumber(get('RatecodeID')),
        store_and_fwd_flag: flag === 'Y' || flag === 'N' ? flag : null,
        PULocationID: toNumber(get('PULocationID')),
        DOLocationID: toNumber(get('DOLocationID')),
        payment_type: toNumber(get('payment_type')),
        fare_amount: toNumber(get('fare_amount')),
        extra: toNumber(get('extra')),
        mta_tax: toNumber(get('mta_tax')),
        tip_amount: toNumber(get('tip_amount')),
        tolls_amount: toNumber(get('tolls_amount')),
        improvement_surcharge: toNumber(get('improvement_surcharge')),
        total_amount: toNumber(get('total_amount')),
        congestion_surcharge: toNumber(get('congestion_surcharge')),
        Airport_fee: toNumber(get('Airport_fee')),
      };
    }
  }
}
