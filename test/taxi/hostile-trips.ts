/**
 * Arbitraries of raw taxi records as a producer with bugs, or an attacker, would send them: for the
 * properties that pin the tuned taxi code of bench/taxi/ to the example's plain code.
 */
import fc from 'fast-check';
import { RAW_DECIMAL_COLUMNS, RAW_INTEGER_COLUMNS, RAW_TRIP_COLUMNS, type RawTrip } from '../../examples/taxi/raw-trip.js';
import { SAMPLE_TRIP } from './fixtures.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Timestamp text near the real format: fields out of range, wrong separators, other digits, extra characters. */
export const timestampText: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 19 }),
      fc.integer({ min: 0, max: 39 }),
      fc.integer({ min: 0, max: 29 }),
      fc.integer({ min: 0, max: 69 }),
      fc.integer({ min: 0, max: 69 }),
    )
    .map(([y, mo, d, h, mi, s]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`),
  fc
    .integer({ min: Date.UTC(1999, 0, 1) / 1000, max: Date.UTC(2031, 0, 1) / 1000 })
    .map((s) => new Date(s * 1000).toISOString().slice(0, 19)),
  fc.constantFrom(
    '2024-01-01T00:57:55',
    '2024-02-29T23:59:59',
    '2023-02-29T00:00:00',
    '0000-02-29T00:00:00',
    '0096-02-29T00:00:00',
    '2024-01-01 00:57:55',
    '2024-01-01T00:57:55Z',
    '2024-01-01T00:57:55\n',
    ' 2024-01-01T00:57:55',
    '２０２４-01-01T00:57:55',
    '2024-1-01T00:57:55',
    '+024-01-01T00:57:55',
    '2024-01-01T24:00:00',
    '',
  ),
  fc.string({ minLength: 19, maxLength: 19, unit: fc.constantFrom(...'0123456789-T: x') }),
  fc.string({ unit: 'binary', maxLength: 24 }),
);

/** Any JSON value, numbers at their edges included. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-0, 1e21, 5e-324, 2 ** 53 + 2, -1e308, 0.1 + 0.2, '17.7', '', 'N', 'Y', 'y', true),
  fc.string({ unit: 'binary' }),
);

const integer = fc.oneof(fc.option(fc.integer({ min: -1000, max: 100_000 }), { nil: null }), anyValue);
const decimal = fc.oneof(fc.option(fc.double({ min: -1e7, max: 1e7, noNaN: true }), { nil: null }), anyValue);

/** A trip object with every column possibly of the wrong type, missing, or joined by other fields. */
export const hostileTrip: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      ...Object.fromEntries(RAW_INTEGER_COLUMNS.map((c) => [c, integer])),
      ...Object.fromEntries(RAW_DECIMAL_COLUMNS.map((c) => [c, decimal])),
      tpep_pickup_datetime: fc.oneof(timestampText, anyValue),
      tpep_dropoff_datetime: fc.oneof(timestampText, anyValue),
      store_and_fwd_flag: fc.oneof(fc.constantFrom('Y', 'N', null), anyValue),
    },
    { requiredKeys: [] },
  )
  .chain((trip) => fc.dictionary(fc.string(), anyValue, { maxKeys: 3 }).map((extra) => ({ ...extra, ...trip }) as Record<string, unknown>));

/** A well-typed trip, fields in column order: what Bronze lets through. */
export const validTrip: fc.Arbitrary<RawTrip> = fc
  .record({
    ...Object.fromEntries(RAW_INTEGER_COLUMNS.map((c) => [c, fc.option(fc.integer({ min: -1000, max: 100_000 }), { nil: null })])),
    ...Object.fromEntries(
      RAW_DECIMAL_COLUMNS.map((c) => [
        c,
        fc.option(
          fc.oneof(
            fc.double({ min: -1e7, max: 1e7, noNaN: true }),
            fc.integer({ min: -100_000, max: 100_000 }).map((n) => n / 100),
          ),
          {
            nil: null,
          },
        ),
      ]),
    ),
    tpep_pickup_datetime: fc
      .integer({ min: Date.UTC(2023, 11, 25) / 1000, max: Date.UTC(2024, 1, 5) / 1000 })
      .map((s) => new Date(s * 1000).toISOString().slice(0, 19)),
    tpep_dropoff_datetime: fc
      .integer({ min: Date.UTC(2023, 11, 25) / 1000, max: Date.UTC(2024, 1, 5) / 1000 })
      .map((s) => new Date(s * 1000).toISOString().slice(0, 19)),
    store_and_fwd_flag: fc.constantFrom('Y' as const, 'N' as const, null),
  })
  .map((t) => Object.fromEntries(RAW_TRIP_COLUMNS.map((c) => [c, (t as RawTrip)[c]])) as unknown as RawTrip);

/** A raw record as it may arrive: a JSON line (whole, cut short, or not an object), or an object already decoded. */
export const hostileRecord: fc.Arbitrary<unknown> = fc.oneof(
  hostileTrip.map((t) => JSON.stringify(t)),
  hostileTrip,
  validTrip.map((t) => JSON.stringify(t)),
  fc.tuple(hostileTrip, fc.nat()).map(([t, cut]) => {
    const line = JSON.stringify(t);
    return line.slice(0, cut % (line.length + 1));
  }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary' }),
  fc.constant(JSON.stringify(SAMPLE_TRIP)),
);
