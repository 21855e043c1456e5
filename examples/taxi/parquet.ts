import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type ParquetParsers } from 'hyparquet';
import { describeError, StreamkitError } from '../../src/core/errors.js';
import { formatNaiveTimestamp } from './ny-time.js';
import { RAW_TRIP_COLUMNS, type RawTrip } from './raw-trip.js';

/**
 * TLC writes `timestamp[us]` without a zone: New York wall-clock fields. Decoding them straight to
 * naive text (rather than to a `Date`, which would claim they are UTC) keeps the meaning intact.
 */
const naiveTimestampParsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (ms: bigint) => formatNaiveTimestamp(Number(ms)),
  timestampFromMicroseconds: (us: bigint) => formatNaiveTimestamp(Number(us / 1000n)),
  timestampFromNanoseconds: (ns: bigint) => formatNaiveTimestamp(Number(ns / 1_000_000n)),
};

async function readRowGroup(options: Parameters<typeof parquetRead>[0]): Promise<void> {
  try {
    await parquetRead(options);
  } catch (error) {
    throw new StreamkitError('SOURCE_FAILED', `cannot decode parquet rows ${options.rowStart}–${options.rowEnd}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

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
 * One row group is decoded at a time, column by column, and rows are built as they are yielded:
 * memory holds one row group's columns (the TLC files have row groups of about a million rows),
 * never the file's rows as objects. Reading in smaller row ranges would decode each row group
 * again per range, as TLC files carry no page index.
 *
 * @param path - the parquet file.
 * @returns the trips, lazily.
 * @example
 * for await (const trip of readParquetTrips('yellow_tripdata_2024-01.parquet')) lines.push(rawTripLine(trip));
 */
export async function* readParquetTrips(path: string): AsyncGenerator<RawTrip> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file, { parsers: naiveTimestampParsers });
  } catch (error) {
    throw new StreamkitError('SOURCE_FAILED', `cannot read parquet file ${path}: ${describeError(error)}`, { cause: error });
  }
  const present = new Set(metadata.schema.slice(1).map((s) => s.name));
  const sourceOf = new Map<string, string>();
  for (const c of RAW_TRIP_COLUMNS) {
    const s = present.has(c) ? c : [...present].find((p) => p.toLowerCase() === c.toLowerCase());
    if (s !== undefined) sourceOf.set(c, s);
  }
  const columns = [...sourceOf.values()];
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const start = groupStart;
    groupStart += groupRows;
    if (groupRows === 0) continue;
    const data = new Map<string, unknown[]>(columns.map((c) => [c, new Array<unknown>(groupRows)]));
    await readRowGroup({
      file,
      metadata,
      columns,
      rowStart: start,
      rowEnd: start + groupRows,
      parsers: naiveTimestampParsers,
      onChunk: ({ columnName, columnData, rowStart }) => {
        const target = data.get(columnName);
        if (target === undefined) return;
        for (let i = 0; i < columnData.length; i++) {
          const row = rowStart - start + i;
          if (row >= 0 && row < groupRows) target[row] = columnData[i];
        }
      },
    });
    const column = (c: (typeof RAW_TRIP_COLUMNS)[number]): unknown[] | undefined => {
      const s = sourceOf.get(c);
      return s === undefined ? undefined : data.get(s);
    };
    const [
      vendor,
      pickup,
      dropoff,
      passengers,
      distance,
      rate,
      flags,
      pu,
      dou,
      payment,
      fare,
      extra,
      mta,
      tip,
      tolls,
      improvement,
      total,
      congestion,
      airport,
    ] = RAW_TRIP_COLUMNS.map(column);
    const at = (col: unknown[] | undefined, i: number): number | null => (col === undefined ? null : toNumber(col[i]));
    for (let i = 0; i < groupRows; i++) {
      const flag = flags === undefined ? null : toText(flags[i]);
      yield {
        VendorID: at(vendor, i),
        tpep_pickup_datetime: pickup === undefined ? null : toText(pickup[i]),
        tpep_dropoff_datetime: dropoff === undefined ? null : toText(dropoff[i]),
        passenger_count: at(passengers, i),
        trip_distance: at(distance, i),
        RatecodeID: at(rate, i),
        store_and_fwd_flag: flag === 'Y' || flag === 'N' ? flag : null,
        PULocationID: at(pu, i),
        DOLocationID: at(dou, i),
        payment_type: at(payment, i),
        fare_amount: at(fare, i),
        extra: at(extra, i),
        mta_tax: at(mta, i),
        tip_amount: at(tip, i),
        tolls_amount: at(tolls, i),
        improvement_surcharge: at(improvement, i),
        total_amount: at(total, i),
        congestion_surcharge: at(congestion, i),
        Airport_fee: at(airport, i),
      };
    }
  }
}
