// One streamkit benchmark run in its own process, so each run starts cold and its peak RSS is its own:
//   node --import tsx bench/e2e/streamkit-job.ts --job zone-5m --input FILE --out DIR
//        [--watermark-delay-ms MS] [--state memory|level] [--batch-size N] [--pace EVENTS_PER_S --pace-records N]
// Prints one JSON result line on stdout, as bench/flink/run does, and writes each output row to
// DIR/<query>.jsonl as it arrives (DIR/silver.json for the silver count). Without --batch-size the
// run uses streamkit's default. --pace replays the first records at a fixed rate instead of reading
// the file as fast as it can, and measures window-result latency (zone-5m jobs only).
import { createReadStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
  type Source,
  type Stream,
  type WindowResult,
} from '../../src/index.js';
import { JOB_SPECS, JOBS, outputFileName, type JobName } from './jobs.js';
import type { SessionRow, ZoneRow } from './output-rows.js';
import { pacedLines, type PacedSource, type PacedSourceStats } from './paced-source.js';
import { CountingSink, RowFileSink } from './row-file-sink.js';
import { WindowLatency, type LatencySummary } from './window-latency.js';

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

/** What the sessions job reads of a Silver trip: like zone-5m, only its own columns (Flink's planner
 * likewise drops every Silver column its sessions query never reads, the sha256 trip id included). */
interface SessionTrip {
  key: string;
  pickupTs: number;
  total: number | null;
}

function toSessionTrip(t: RawTrip): SessionTrip | null {
  if (!passesSilver(t)) return null;
  const pickupNaive = parseNaiveTimestamp(t.tpep_pickup_datetime as string) as number;
  return {
    key: `${t.VendorID ?? ''}|${t.PULocationID ?? ''}`,
    pickupTs: nyNaiveToEpoch(pickupNaive),
    total: t.total_amount === null ? null : roundHalfAway(t.total_amount, 2),
  };
}

const zoneAggregates = {
  trips: count(),
  revenue: sum((t: { total: number | null }) => t.total ?? 0),
  avgFare: avg((t: { fare: number }) => t.fare),
  avgDistance: avg((t: { distance: number }) => t.distance),
};

type ZoneValue = { trips: number; revenue: number; avgFare: number | null; avgDistance: number | null };
type ZoneResult = WindowResult<number | null, ZoneValue>;

function zoneRow(r: ZoneResult): ZoneRow {
  return { zone: r.key, windowStart: r.window.start, windowEnd: r.window.end, ...r.value };
}

const ZONE_WINDOW_MS = 5 * 60_000;

const isPresent = <T>(x: T | null): x is T => x !== null;

/** Input records the source has parsed so far (a line that fails to parse counts: it was read). */
let recordsRead = 0;
const countedParse = (line: string): RawTrip => {
  recordsRead++;
  return parseTrip(line);
};

/** What the sink saw. */
interface SinkOutcome {
  rows: number;
  firstResultMs: number | undefined;
  recordsAtFirstResult: number | undefined;
}

interface JobSetup {
  job: JobName;
  source: Source<RawTrip>;
  out: string;
  watermarkDelayMs: number;
  options: RunOptions;
  /** Called after each write of zone-5m results, with the time it ended. */
  onZoneResults?: (items: ZoneResult[], now: number) => void;
}

async function runJob(setup: JobSetup): Promise<{ summary: RunSummary; sink: SinkOutcome }> {
  const { job, out, options } = setup;
  const query = JOB_SPECS[job].query;
  const file = join(out, outputFileName(job));
  const watermarks = () => boundedOutOfOrderness(setup.watermarkDelayMs);
  const raw = from(setup.source);
  const silver = (): Stream<SilverTrip> => raw.map(toSilver).filter(isPresent);
  const zoneWindows = async (trips: Stream<ZoneTrip, any>) => {
    const sink = new RowFileSink(file, zoneRow, () => recordsRead, setup.onZoneResults);
    const summary = await trips
      .keyBy((t) => t.zone)
      .window(tumbling(ZONE_WINDOW_MS))
      .aggregate(zoneAggregates)
      .to(sink)
      .run(options);
    return { summary, sink };
  };
  if (query === 'silver') {
    const sink = new CountingSink<SilverTrip>(() => recordsRead);
    const summary = await silver().to(sink).run(options);
    writeFileSync(file, JSON.stringify({ silverRows: sink.rows }) + '\n');
    return { summary, sink };
  }
  if (query === 'zone-5m') {
    return zoneWindows(
      raw
        .map(toZoneTrip)
        .filter(isPresent)
        .withTimestamps((t) => t.pickupTs, watermarks()),
    );
  }
  if (query === 'dedup') {
    return zoneWindows(
      silver()
        .withTimestamps((t) => t.pickup_ts, watermarks())
        .dedup((t) => t.trip_id, { within: '1h' })
        .map((t): ZoneTrip => ({
          zone: t.pickup_location_id,
          pickupTs: t.pickup_ts,
          total: t.total_amount,
          fare: t.fare_amount,
          distance: t.trip_distance_miles,
        })),
    );
  }
  const sink = new RowFileSink(
    file,
    (r: WindowResult<string, { trips: number; revenue: number }>): SessionRow => {
      const [vendor, zone] = r.key.split('|');
      return {
        vendor: vendor === '' ? null : Number(vendor),
        zone: zone === '' ? null : Number(zone),
        windowStart: r.window.start,
        windowEnd: r.window.end,
        ...r.value,
      };
    },
    () => recordsRead,
  );
  const summary = await raw
    .map(toSessionTrip)
    .filter(isPresent)
    .withTimestamps((t) => t.pickupTs, watermarks())
    .keyBy((t) => t.key)
    .window(session('30m'))
    .aggregate({ trips: count(), revenue: sum((t: SessionTrip) => t.total ?? 0) })
    .to(sink)
    .run(options);
  return { summary, sink };
}

/** The first `limit` non-empty lines of a file. */
async function readLines(file: string, limit: number): Promise<string[]> {
  const lines: string[] = [];
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split('\n');
    carry = parts.pop() as string;
    for (const line of parts) if (line.length > 0 && lines.length < limit) lines.push(line);
    if (lines.length >= limit) return lines;
  }
  if (carry.length > 0 && lines.length < limit) lines.push(carry);
  return lines;
}

/** The event time that drives the watermark per line: the pickup of a Silver trip, null otherwise. */
function eventTimeOf(line: string): number | null {
  const r = parseBronze(line);
  if (!r.ok) return null;
  return toZoneTrip(r.trip)?.pickupTs ?? null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      job: { type: 'string' },
      input: { type: 'string' },
      out: { type: 'string' },
      'watermark-delay-ms': { type: 'string' },
      state: { type: 'string', default: 'memory' },
      'state-dir': { type: 'string' },
      'batch-size': { type: 'string' },
      pace: { type: 'string' },
      'pace-records': { type: 'string', default: '300000' },
    },
  });
  const job = values.job as JobName;
  if (!JOBS.includes(job)) throw new RangeError(`--job must be one of ${JOBS.join(', ')}, got ${values.job}`);
  if (!values.input) throw new TypeError('--input FILE is required');
  if (!values.out) throw new TypeError('--out DIR is required');
  if (values.state !== 'memory' && values.state !== 'level') throw new RangeError(`--state must be memory or level, got ${values.state}`);
  const positiveInteger = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`--${name} must be a non-negative integer, got ${text}`);
    return n;
  };
  const batchSize = positiveInteger('batch-size', values['batch-size']);
  if (batchSize === 0) throw new RangeError('--batch-size must be at least 1');
  const watermarkDelayMs = positiveInteger('watermark-delay-ms', values['watermark-delay-ms']) ?? JOB_SPECS[job].watermarkDelayMs;
  const pace = positiveInteger('pace', values.pace);
  const options: RunOptions = { batchSize };
  if (values.state === 'level') {
    const dir = values['state-dir'] ?? join(values.out, 'level-state');
    rmSync(dir, { recursive: true, force: true }); // every run starts without a checkpoint to restore
    options.state = levelState(dir);
    options.checkpointEvery = '5s';
  }
  mkdirSync(values.out, { recursive: true });
  const setup: JobSetup = {
    job,
    source: fromJsonl<RawTrip>(values.input, { parse: countedParse }),
    out: values.out,
    watermarkDelayMs,
    options,
  };

  if (pace !== undefined) {
    if (JOB_SPECS[job].query !== 'zone-5m') throw new RangeError(`--pace measures tumbling-window latency: zone-5m jobs only, got ${job}`);
    if (pace === 0) throw new RangeError('--pace must be at least 1 event/s');
    const lines = await readLines(values.input, positiveInteger('pace-records', values['pace-records']) ?? 300_000);
    const source: PacedSource<RawTrip> = pacedLines(lines, pace, countedParse, (from, to) => probe.arrived(from, to));
    const probe: WindowLatency = new WindowLatency(lines.map(eventTimeOf), ZONE_WINDOW_MS, watermarkDelayMs, (i) => source.scheduledAt(i));
    setup.source = source;
    setup.onZoneResults = (items, now) => {
      for (const r of items) probe.resultOut(r.window.end, now);
    };
    const t0 = performance.now();
    const outcome = await runJob(setup);
    const pacedMs = performance.now() - t0;
    const latency: LatencySummary = probe.summary();
    const paced: PacedSourceStats = source.stats();
    const { summary, sink } = outcome;
    const line = {
      engine: 'streamkit-paced',
      job,
      records: summary.records,
      pace,
      achievedEventsPerSecond: Math.round((summary.records * 1000) / pacedMs),
      batchSize: batchSize ?? null,
      watermarkDelayMs,
      outputRows: sink.rows,
      late: summary.late,
      latency,
      source: paced,
    };
    process.stdout.write(JSON.stringify(line) + '\n');
    return;
  }

  const { summary, sink } = await runJob(setup);
  // Wall time counts from process start (performance.now() is relative to it), as Flink's runner
  // counts from JVM start.
  const wallMs = performance.now();
  const line = {
    engine: values.state === 'level' ? 'streamkit-level' : 'streamkit',
    job,
    records: summary.records,
    wallMs: Math.round(wallMs),
    firstResultMs: sink.firstResultMs === undefined ? undefined : Math.round(sink.firstResultMs),
    recordsAtFirstResult: sink.recordsAtFirstResult,
    processingMs: summary.durationMs,
    outputRows: sink.rows,
    late: summary.late,
    deadLetters: summary.deadLetters,
    filtered: summary.filtered,
    duplicates: summary.duplicates,
    checkpoints: summary.checkpoints,
    batchSize: batchSize ?? null,
    watermarkDelayMs,
    eventsPerSec: Math.round((summary.records * 1000) / wallMs),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

await main();
