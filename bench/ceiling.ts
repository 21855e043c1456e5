// The practical ceiling for one JavaScript core, in two forms, each in its own process:
//   node --import tsx bench/ceiling.ts --mode loop  --input FILE --out DIR [--watermark-delay-ms MS]   zone-5m as a plain loop
//   node --import tsx bench/ceiling.ts --mode parse --input FILE                                        bare JSON.parse of every line
// `loop` first parses the file and applies the Silver rules (not timed), then times only the
// zone-5m arithmetic over the pre-parsed records: per-record watermark (max - delay - 1 ms), late
// records dropped, a Map of zones per open window, each window evicted once the watermark passes
// it. Its output rows are the reference the engines' rows are compared with. Prints one JSON line.
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBronzeTuned as parseBronze } from './taxi/parse-bronze-tuned.js';
import { nyNaiveToEpoch, parseNaiveTimestamp } from '../examples/taxi/ny-time.js';
import { roundHalfAway } from '../examples/taxi/round-half-away.js';
import { passesSilver } from '../examples/taxi/silver.js';
import { outputFileName, writeRows, type ZoneRow } from './e2e/output-rows.js';

const WINDOW_MS = 5 * 60_000;
/** Watermark delay, ms: --watermark-delay-ms, by default the 30 s of the late-heavy job. */
let maxDelayMs = 30_000;

/** Calls `onLines` with the non-empty lines of each chunk of a JSONL file, without holding the file in memory. */
async function forEachChunk(file: string, onLines: (lines: string[]) => void): Promise<void> {
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 22 })) {
    const text = carry + (chunk as string);
    const lines: string[] = [];
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      if (nl > from) lines.push(text.slice(from, nl));
      from = nl + 1;
    }
    carry = text.slice(from);
    onLines(lines);
  }
  if (carry.trim().length > 0) onLines([carry]);
}

/** Calls `onLine` for every non-empty line of a JSONL file. */
async function forEachLine(file: string, onLine: (line: string) => void): Promise<void> {
  await forEachChunk(file, (lines) => {
    for (const line of lines) onLine(line);
  });
}

/** Struct-of-arrays of the Silver records: what a "pre-parsed" record means for the loop. */
interface Parsed {
  n: number;
  lines: number;
  zone: Int32Array;
  pickupTs: Float64Array;
  revenueCents: Float64Array;
  fareCents: Float64Array;
  distance: Float64Array;
}

async function preParse(file: string): Promise<Parsed> {
  const zone: number[] = [];
  const pickupTs: number[] = [];
  const revenueCents: number[] = [];
  const fareCents: number[] = [];
  const distance: number[] = [];
  let lines = 0;
  await forEachLine(file, (line) => {
    lines++;
    const r = parseBronze(line);
    if (!r.ok || !passesSilver(r.trip)) return;
    const t = r.trip;
    zone.push(t.PULocationID ?? -1);
    pickupTs.push(nyNaiveToEpoch(parseNaiveTimestamp(t.tpep_pickup_datetime as string) as number));
    revenueCents.push(t.total_amount === null ? 0 : Math.round(roundHalfAway(t.total_amount, 2) * 100));
    fareCents.push(Math.round(roundHalfAway(t.fare_amount as number, 2) * 100));
    distance.push(t.trip_distance as number);
  });
  return {
    n: zone.length,
    lines,
    zone: Int32Array.from(zone),
    pickupTs: Float64Array.from(pickupTs),
    revenueCents: Float64Array.from(revenueCents),
    fareCents: Float64Array.from(fareCents),
    distance: Float64Array.from(distance),
  };
}

interface Acc {
  trips: number;
  revenueCents: number;
  fareCents: number;
  distance: number;
}

/** The zone-5m loop. Returns the rows and when the first one was emitted. */
function zone5m(p: Parsed): { rows: ZoneRow[]; firstResultMs: number | undefined; late: number } {
  const open = new Map<number, Map<number, Acc>>();
  const rows: ZoneRow[] = [];
  let firstResultMs: number | undefined;
  let maxTs = -Infinity;
  let watermark = -Infinity;
  let lowest = Infinity; // smallest start of an open window
  let late = 0;
  const fire = (start: number) => {
    const zones = open.get(start);
    if (zones === undefined) return;
    open.delete(start);
    if (firstResultMs === undefined) firstResultMs = performance.now();
    for (const [zone, a] of zones) {
      rows.push({
        zone: zone === -1 ? null : zone,
        windowStart: start,
        windowEnd: start + WINDOW_MS,
        trips: a.trips,
        revenue: a.revenueCents / 100,
        avgFare: a.fareCents / 100 / a.trips,
        avgDistance: a.distance / a.trips,
      });
    }
  };
  for (let i = 0; i < p.n; i++) {
    const ts = p.pickupTs[i];
    const start = ts - (((ts % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);
    if (start + WINDOW_MS - 1 <= watermark) {
      late++;
    } else {
      let zones = open.get(start);
      if (zones === undefined) {
        zones = new Map();
        open.set(start, zones);
        if (start < lowest) lowest = start;
      }
      const z = p.zone[i];
      const a = zones.get(z);
      if (a === undefined) {
        zones.set(z, { trips: 1, revenueCents: p.revenueCents[i], fareCents: p.fareCents[i], distance: p.distance[i] });
      } else {
        a.trips++;
        a.revenueCents += p.revenueCents[i];
        a.fareCents += p.fareCents[i];
        a.distance += p.distance[i];
      }
    }
    if (ts > maxTs) {
      maxTs = ts;
      watermark = maxTs - maxDelayMs - 1;
      // Evict every window the watermark has passed, oldest first.
      while (lowest + WINDOW_MS - 1 <= watermark) {
        fire(lowest);
        lowest += WINDOW_MS;
      }
    }
  }
  for (const start of [...open.keys()].sort((a, b) => a - b)) fire(start);
  return { rows, firstResultMs, late };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { mode: { type: 'string' }, input: { type: 'string' }, out: { type: 'string' }, 'watermark-delay-ms': { type: 'string' } },
  });
  if (!values.input) throw new TypeError('--input FILE is required');
  if (values['watermark-delay-ms'] !== undefined) {
    maxDelayMs = Number(values['watermark-delay-ms']);
    if (!(Number.isSafeInteger(maxDelayMs) && maxDelayMs >= 0)) {
      throw new RangeError(`--watermark-delay-ms must be a non-negative integer, got ${values['watermark-delay-ms']}`);
    }
  }
  if (values.mode === 'parse') {
    let records = 0;
    let parseMs = 0;
    let sink = 0;
    // Timed per chunk of lines, so the clock is read twice per ~10k lines, not per line.
    await forEachChunk(values.input, (lines) => {
      const t0 = performance.now();
      for (const line of lines) sink += (JSON.parse(line) as { PULocationID: number }).PULocationID | 0;
      parseMs += performance.now() - t0;
      records += lines.length;
    });
    const wallMs = performance.now();
    const line = {
      engine: 'json-parse',
      job: 'parse',
      records,
      wallMs: Math.round(wallMs),
      timedMs: Math.round(parseMs),
      eventsPerSec: Math.round((records * 1000) / parseMs),
      checksum: sink,
    };
    process.stdout.write(JSON.stringify(line) + '\n');
    return;
  }
  if (values.mode !== 'loop') throw new RangeError(`--mode must be loop or parse, got ${values.mode}`);
  if (!values.out) throw new TypeError('--out DIR is required');
  const parsed = await preParse(values.input);
  const t0 = performance.now();
  const { rows, firstResultMs, late } = zone5m(parsed);
  const loopMs = performance.now() - t0;
  const wallMs = performance.now();
  mkdirSync(values.out, { recursive: true });
  writeRows(join(values.out, outputFileName('zone-5m')), 'zone-5m', rows);
  const line = {
    engine: 'ceiling',
    job: 'zone-5m',
    records: parsed.lines,
    silverRecords: parsed.n,
    wallMs: Math.round(wallMs),
    firstResultMs: firstResultMs === undefined ? undefined : Math.round(firstResultMs),
    timedMs: Math.round(loopMs * 1000) / 1000,
    outputRows: rows.length,
    late,
    eventsPerSec: Math.round((parsed.lines * 1000) / loopMs),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

await main();
