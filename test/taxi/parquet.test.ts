import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBronze } from '../../examples/taxi/bronze.js';
import { generateTrips } from '../../examples/taxi/generator.js';
import { parseNaiveTimestamp } from '../../examples/taxi/ny-time.js';
import { readParquetTrips } from '../../examples/taxi/parquet.js';
import { rawTripLine, type RawTrip } from '../../examples/taxi/raw-trip.js';
import { rawTrip } from './fixtures.js';

type SchemaElement = NonNullable<Parameters<typeof parquetWriteFile>[0]['schema']>[number];

const dir = mkdtempSync(join(tmpdir(), 'taxi-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The TLC January 2024 physical schema: INT32/INT64 ids, DOUBLE money, timestamp[us] without zone. */
function writeTlcParquet(path: string, trips: RawTrip[], airportFeeName = 'Airport_fee'): void {
  const ts = (s: string | null) => (s === null ? null : new Date(parseNaiveTimestamp(s) as number));
  const big = (x: number | null) => (x === null ? null : BigInt(x));
  type Physical = Omit<SchemaElement, 'name'>;
  const timestamp: Physical = { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } };
  const double: Physical = { type: 'DOUBLE' };
  const columns: { name: string; data: unknown[]; schema: Physical }[] = [
    { name: 'VendorID', data: trips.map((t) => t.VendorID), schema: { type: 'INT32' } },
    { name: 'tpep_pickup_datetime', data: trips.map((t) => ts(t.tpep_pickup_datetime)), schema: timestamp },
    { name: 'tpep_dropoff_datetime', data: trips.map((t) => ts(t.tpep_dropoff_datetime)), schema: timestamp },
    { name: 'passenger_count', data: trips.map((t) => big(t.passenger_count)), schema: { type: 'INT64' } },
    { name: 'trip_distance', data: trips.map((t) => t.trip_distance), schema: double },
    { name: 'RatecodeID', data: trips.map((t) => big(t.RatecodeID)), schema: { type: 'INT64' } },
    { name: 'store_and_fwd_flag', data: trips.map((t) => t.store_and_fwd_flag), schema: { type: 'BYTE_ARRAY', converted_type: 'UTF8' } },
    { name: 'PULocationID', data: trips.map((t) => t.PULocationID), schema: { type: 'INT32' } },
    { name: 'DOLocationID', data: trips.map((t) => t.DOLocationID), schema: { type: 'INT32' } },
    { name: 'payment_type', data: trips.map((t) => big(t.payment_type)), schema: { type: 'INT64' } },
    ...(
      [
        'fare_amount',
        'extra',
        'mta_tax',
        'tip_amount',
        'tolls_amount',
        'improvement_surcharge',
        'total_amount',
        'congestion_surcharge',
      ] as const
    ).map((c) => ({ name: c, data: trips.map((t) => t[c]), schema: double })),
    { name: airportFeeName, data: trips.map((t) => t.Airport_fee), schema: double },
  ];
  parquetWriteFile({
    filename: path,
    columnData: columns.map(({ name, data }) => ({ name, data })),
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.map(({ name, schema }): SchemaElement => ({ repetition_type: 'OPTIONAL', ...schema, name })),
    ],
    rowGroupSize: 700,
  });
}

describe('parquet reader', () => {
  it('round-trips generated trips written in the TLC schema, across row groups', async () => {
    const trips: RawTrip[] = [];
    for (const line of generateTrips({ events: 2000, seed: 11 })) {
      const r = parseBronze(line);
      if (r.ok) trips.push(r.trip);
    }
    trips.push(
      rawTrip({
        passenger_count: null,
        RatecodeID: null,
        store_and_fwd_flag: null,
        congestion_surcharge: null,
        Airport_fee: null,
        payment_type: 0,
      }),
    );
    trips.push(rawTrip({ tpep_pickup_datetime: null }));
    const path = join(dir, 'yellow_tripdata_2024-01.parquet');
    writeTlcParquet(path, trips);
    const read: RawTrip[] = [];
    for await (const t of readParquetTrips(path)) read.push(t);
    expect(read).toHaveLength(trips.length);
    expect(read).toEqual(trips);
    // Same bytes on the wire as the generator's lines.
    expect(read.slice(0, 100).map(rawTripLine)).toEqual(trips.slice(0, 100).map(rawTripLine));
    expect(rawTripLine(read[read.length - 1])).toContain('"tpep_pickup_datetime":null');
    expect(parseBronze(rawTripLine(read[read.length - 1])).ok).toBe(false);
  });

  it('reads the older lower-case airport_fee column as Airport_fee, and an absent column as null', async () => {
    const path = join(dir, 'old.parquet');
    writeTlcParquet(path, [rawTrip({ Airport_fee: 1.75 })], 'airport_fee');
    const read: RawTrip[] = [];
    for await (const t of readParquetTrips(path)) read.push(t);
    expect(read).toEqual([rawTrip({ Airport_fee: 1.75 })]);
  });

  it('a missing or corrupt file is a SOURCE_FAILED StreamkitError', async () => {
    await expect(readParquetTrips(join(dir, 'absent.parquet')).next()).rejects.toMatchObject({
      name: 'StreamkitError',
      code: 'SOURCE_FAILED',
    });
    const path = join(dir, 'not-parquet.parquet');
    writeFileSync(path, 'PAR1 this is not a parquet file PAR1');
    await expect(readParquetTrips(path).next()).rejects.toMatchObject({ code: 'SOURCE_FAILED' });
  });

  it('reads lazily, one row group at a time', async () => {
    const path = join(dir, 'groups.parquet');
    writeTlcParquet(
      path,
      Array.from({ length: 1500 }, (_, i) => rawTrip({ PULocationID: 1 + (i % 265) })),
    );
    const it = readParquetTrips(path);
    const first = await it.next();
    expect(first.value).toEqual(rawTrip({ PULocationID: 1 }));
    let n = 1;
    for await (const t of it) expect(t.PULocationID).toBe(1 + (n++ % 265));
    expect(n).toBe(1500);
  });
});
