// The taxi example's Bronze rules as the benchmarks run them: timestamps checked by the
// character-code reader of ny-time.ts (parseNaiveTimestamp) instead of the example's regular
// expression and Date.UTC. test/taxi/bronze.test.ts pins it to the example's parseBronze on
// generated and hostile lines, and bench/fast-paths.bench.ts measures both. The end-to-end
// benchmark jobs (bench/e2e/streamkit-job.ts, bench/ceiling.ts) parse with this one.
import { parseBronzeWith, type BronzeResult } from '../../examples/taxi/bronze.js';
import { parseNaiveTimestamp } from '../../examples/taxi/ny-time.js';

const isNaiveTimestamp = (text: string): boolean => parseNaiveTimestamp(text) !== null;

/**
 * `parseBronze` of the example, result for result, with timestamps read by character codes.
 * @param raw - a JSON text line or a decoded object.
 * @example parseBronzeTuned('{"VendorID":2,…}') // { ok: true, trip: … }
 */
export function parseBronzeTuned(raw: unknown): BronzeResult {
  return parseBronzeWith(raw, isNaiveTimestamp);
}
