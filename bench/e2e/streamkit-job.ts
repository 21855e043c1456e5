// One streamkit benchmark run in its own process, so each run starts cold and its peak RSS is its own:
//   node --import tsx bench/e2e/streamkit-job.ts --job zone-5m --input FILE --out DIR [--state memory|level] [--batch-size N]
// Prints one JSON result line on stdout, as bench/flink/run does, and writes the output rows to
// DIR/<job>.jsonl (DIR/silver.json for the silver count).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBronzeTuned as parseBronze } from '../taxi/parse-bronze-tuned.js';
import { nyNaiveToEpoch, parseNaiveTimestamp } from '../../examples/taxi/ny-time.js';
import type { RawTrip } from '../../examples/taxi/raw-trip.js';
import { roundHalfAway } from '../../examples/taxi/round-half-away.js';
import { passesSilver, toSilver, type SilverTrip } from '../../examples/taxi/silver.js';
import {
  avg,
  boundedOutOfOrderness,
  count,
  from,
  fromJsonl,
  levelState,
  session,
  sum,
  tumbling,
  type RunOptions,
  type RunSummary,
  type Sink,
  type Stream,
  type WindowResult,
} from '../../src/index.js';
import { JOBS, outputFileName, writeRows, type JobName, type SessionRow, type ZoneRow } from './output-rows.js';

/** The fields zone-5m reads, derived by the Silver rules: Flink's planner prunes the other columns too. */
interface ZoneTrip {
  zone: number | null;
  pickupTs: number;
  total: number | null;
  fare: number;
  distance: number;
}

/** Bronze as the source's parser: a line that is not a well-typed trip becomes a dead letter. */
function parseTrip(line: string): RawTrip {
  const r = parseBronze(line);
  if (!r.ok) throw new Error(r.deadLetter.reason);
  return r.trip;
}

/**
 * Silver's predicate and the columns zone-5m needs, without the sha256 trip id and the other
 * derived columns it never reads (Flink SQL computes only the projected columns as well).
 */
function toZoneTrip(t: RawTrip): ZoneTrip | null {
  if (!passesSilver(t)) return null;
  // Bronze has checked both timestamps parse; passesSilver that neither is null.
  const pickupNaive = parseNaiveTimestamp(t.tpep_pickup_datetime as string) as number;
  return {
    zone: t.PULocationID,
    pickupTs: nyNaiveToEpoch(pickupNaive),
    total: t.total_amount === null ? null : roundHalfAway(t.total_amount, 2),
    fare: roundHalfAway(t.fare_amount as number, 2),
    distance: t.trip_distance as number,
  };
}

const zoneAggregates = {
  trips: count(),
  revenue: sum((t: { total: number | null }) => t.total ?? 0),
  avgFare: avg((t: { fare: number }) => t.fare),
  avgDistance: avg((t: { distance: number }) => t.distance),
};

type ZoneValue = { trips: number; revenue: number; avgFare: number | null; avgDistance: number | null };

function zoneRow(r: WindowResult<number | null, ZoneValue>): ZoneRow {
  return { zone: r.key, windowStart: r.window.start, windowEnd: r.window.end, ...r.value };
}

/** A sink that keeps shaped rows and notes when the first result arrived. */
class RowSink<T, R> implements Sink<T> {
  readonly name = 'bench-rows';
  readonly rows: R[] = [];
  firstResultMs: number | undefined;
  constructor(private readonly shape: (item: T) => R) {}
  write(items: T[]): void {
    if (items.length > 0 && this.firstResultMs === undefined) this.firstResultMs = performance.now();
    for (const item of items) this.rows.push(this.shape(item));
  }
}

/** The silver job's sink: counts rows and keeps none. */
class CountingSink<T> implements Sink<T> {
  readonly name = 'bench-count';
  count = 0;
  firstResultMs: number | undefined;
  write(items: T[]): void {
    if (items.length > 0 && this.firstResultMs === undefined) this.firstResultMs = performance.now();
    this.count += items.length;
  }
}

const isPresent = <T>(x: T | null): x is T => x !== null;

interface Outcome {
  summary: RunSummary;
  firstResultMs: number | undefined;
  write(dir: string): number;
}

/** zone-5m's windows (shared by the zone-5m and dedup jobs): trips per zone in tumbling 5-minute windows. */
async function zoneWindows(trips: Stream<ZoneTrip, any>, job: 'zone-5m' | 'dedup', options: RunOptions): Promise<Outcome> {
  const sink = new RowSink(zoneRow);
  const summary = await trips
    .keyBy((t) => t.zone)
    .window(tumbling('5m'))
    .aggregate(zoneAggregates)
    .to(sink)
    .run(options);
  return {
    summary,
    firstResultMs: sink.firstResultMs,
    write: (dir) => (writeRows(join(dir, outputFileName(job)), job, sink.rows), sink.rows.length),
  };
}

async function runJob(job: JobName, input: string, options: RunOptions): Promise<Outcome> {
  const raw = from(fromJsonl<RawTrip>(input, { parse: parseTrip }));
  const silver = (): Stream<SilverTrip> => raw.map(toSilver).filter(isPresent);
  if (job === 'silver') {
    const sink = new CountingSink<SilverTrip>();
    const summary = await silver().to(sink).run(options);
    return {
      summary,
      firstResultMs: sink.firstResultMs,
      write: (dir) => {
        writeFileSync(join(dir, outputFileName(job)), JSON.stringify({ silverRows: sink.count }) + '\n');
        return sink.count;
      },
    };
  }
  if (job === 'zone-5m') {
    return zoneWindows(
      raw
        .map(toZoneTrip)
        .filter(isPresent)
        .withTimestamps((t) => t.pickupTs, boundedOutOfOrderness('30s')),
      job,
      options,
    );
  }
  if (job === 'dedup') {
    const deduplicated = silver()
      .withTimestamps((t) => t.pickup_ts, boundedOutOfOrderness('30s'))
      .dedup((t) => t.trip_id, { within: '1h' })
      .map((t): ZoneTrip => ({
        zone: t.pickup_location_id,
        pickupTs: t.pickup_ts,
        total: t.total_amount,
        fare: t.fare_amount,
        distance: t.trip_distance_miles,
      }));
    return zoneWindows(deduplicated, job, options);
  }
  const sink = new RowSink((r: WindowResult<string, { trips: number; revenue: number }>): SessionRow => {
    const [vendor, zone] = r.key.split('|');
    return {
      vendor: vendor === '' ? null : Number(vendor),
      zone: zone === '' ? null : Number(zone),
      windowStart: r.window.start,
      windowEnd: r.window.end,
      ...r.value,
    };
  });
  const summary = await silver()
    .withTimestamps((t) => t.pickup_ts, boundedOutOfOrderness('30s'))
    .keyBy((t) => `${t.vendor_id ?? ''}|${t.pickup_location_id ?? ''}`)
    .window(session('30m'))
    .aggregate({ trips: count(), revenue: sum((t: SilverTrip) => t.total_amount ?? 0) })
    .to(sink)
    .run(options);
  return {
    summary,
    firstResultMs: sink.firstResultMs,
    write: (dir) => (writeRows(join(dir, outputFileName('sessions')), 'sessions', sink.rows), sink.rows.length),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      job: { type: 'string' },
      input: { type: 'string' },
      out: { type: 'string' },
      state: { type: 'string', default: 'memory' },
      'state-dir': { type: 'string' },
      'batch-size': { type: 'string' },
    },
  });
  const job = values.job as JobName;
  if (!JOBS.includes(job)) throw new RangeError(`--job must be one of ${JOBS.join(', ')}, got ${values.job}`);
  if (!values.input) throw new TypeError('--input FILE is required');
  if (!values.out) throw new TypeError('--out DIR is required');
  if (values.state !== 'memory' && values.state !== 'level') throw new RangeError(`--state must be memory or level, got ${values.state}`);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`--batch-size must be a positive integer, got ${values['batch-size']}`);
  }
  const options: RunOptions = { batchSize };
  if (values.state === 'level') {
    const dir = values['state-dir'] ?? join(values.out, 'level-state');
    rmSync(dir, { recursive: true, force: true }); // every run starts without a checkpoint to restore
    options.state = levelState(dir);
    options.checkpointEvery = '5s';
  }
  mkdirSync(values.out, { recursive: true });
  const outcome = await runJob(job, values.input, options);
  // Wall time counts from process start (performance.now() is relative to it), as Flink's runner
  // counts from JVM start; writing the output file afterwards is not part of it.
  const wallMs = performance.now();
  const outputRows = outcome.write(values.out);
  const { summary } = outcome;
  const line = {
    engine: values.state === 'level' ? 'streamkit-level' : 'streamkit',
    job,
    records: summary.records,
    wallMs: Math.round(wallMs),
    firstResultMs: outcome.firstResultMs === undefined ? undefined : Math.round(outcome.firstResultMs),
    processingMs: summary.durationMs,
    outputRows,
    late: summary.late,
    deadLetters: summary.deadLetters,
    filtered: summary.filtered,
    duplicates: summary.duplicates,
    checkpoints: summary.checkpoints,
    eventsPerSec: Math.round((summary.records * 1000) / wallMs),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

await main();
