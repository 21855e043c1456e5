// Every fast path against the plain definition it must equal (tinybench): `npm run bench` runs it
// after bench/micro.ts, or alone `node --import tsx bench/fast-paths.bench.ts`. Each case runs the
// same realistic inputs through the hand-tuned encoder and through its plain twin, checks first
// that both give the same bytes, then times them. A fast path stays in src/fast/ (or bench/taxi/)
// only while it wins clearly here; docs/architecture.md ("Fast paths") keeps the figures.
//
// fast-json-stringify (the schema-based serializer) is measured when it is installed
// (`npm install --no-save fast-json-stringify`); streamkit does not depend on it.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { Bench } from 'tinybench';
import { parseBronze } from '../examples/taxi/bronze.js';
import { generateTrips } from '../examples/taxi/generator.js';
import { rawTripLine, type RawTrip } from '../examples/taxi/raw-trip.js';
import { toSilver, type SilverTrip } from '../examples/taxi/silver.js';
import { Metrics } from '../src/core/metrics.js';
import type { Output } from '../src/core/operator.js';
import type { WindowResult } from '../src/core/window.js';
import { DECIMAL_MAX_LENGTH, writeDecimal } from '../src/fast/decimal-ascii.js';
import { serializeStateValue } from '../src/fast/serialize-state-value.js';
import { V8WireWriter } from '../src/fast/v8-wire-writer.js';
import { avg, combineAggregators, count, sum } from '../src/windowing/aggregators/index.js';
import { tumbling } from '../src/windowing/tumbling.js';
import { windowOperator } from '../src/windowing/window-operator.js';
import { parseBronzeTuned } from './taxi/parse-bronze-tuned.js';
import { rawTripLineTuned, silverTripLineTuned } from './taxi/trip-lines-tuned.js';

const N = 1024;

/** One variant of a case: a name and a function over the case's N inputs. */
interface Variant {
  name: string;
  run: () => unknown;
  /** The bytes it produces, checked equal across the case's variants before anything is timed. */
  output?: () => Buffer | string;
}

interface Case {
  name: string;
  /** The plain definition first; the others are compared with it. */
  variants: Variant[];
}

/** Results of a run, one row per variant. */
interface Row {
  case: string;
  variant: string;
  opsPerSecond: number;
  medianUs: number;
  rmePercent: number;
  /** Median over rounds of the plain definition's median time divided by this variant's: above 1 is faster. */
  speedUp: number;
}

// Inputs: taxi trips from the example's generator, as the benchmark jobs see them.
const lines = [...generateTrips({ events: 3 * N, seed: 1 })];
const trips: RawTrip[] = lines.flatMap((line) => {
  const r = parseBronze(line);
  return r.ok ? [r.trip] : [];
});
const silverRows: SilverTrip[] = trips.flatMap((t) => {
  const s = toSilver(t);
  return s ? [s] : [];
});

/** Zone-5m results as the window operator emits them (frozen windows and panes shared between results). */
function zoneResults(): WindowResult<unknown, unknown>[] {
  const op = windowOperator(
    { assigner: tumbling('5m') },
    combineAggregators({
      trips: count(),
      revenue: sum((t: SilverTrip) => t.total_amount ?? 0),
      avgFare: avg((t: SilverTrip) => t.fare_amount),
      avgDistance: avg((t: SilverTrip) => t.trip_distance_miles),
    }),
  );
  op.open?.({ uid: 'bench-window', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics() });
  const results: WindowResult<unknown, unknown>[] = [];
  const output: Output<WindowResult<unknown, unknown>> = {
    emit: (batch) => results.push(...batch.values),
    watermark: () => undefined,
    late: () => undefined,
    deadLetter: () => undefined,
  };
  op.processBatch(
    {
      values: silverRows,
      times: silverRows.map((s) => s.pickup_ts),
      keys: silverRows.map((s) => s.pickup_location_id),
      positions: silverRows.map((_, i) => i),
      partition: 0,
    },
    output,
  );
  op.processWatermark?.(Infinity, output);
  return results;
}

const results = zoneResults().slice(0, N);
const rows = silverRows.slice(0, N);
const rawTrips = trips.slice(0, N);
const rawLines = lines.slice(0, N);
if (results.length < N || rows.length < N) throw new Error(`too few inputs: ${results.length} results, ${rows.length} Silver rows`);

// Numbers as result ids carry them: window bounds in epoch milliseconds and pane indices.
const numbers = results.flatMap((r) => [r.window.start, r.window.end, r.pane.index]).slice(0, N);
const epochs = rows.map((s) => s.pickup_ts);
/** A key's sessions as state on disk keeps them: bounds, an accumulator of the trips' fares, pane bookkeeping. */
const sessionEntries = rows.map((s, i) => [
  {
    start: s.pickup_ts,
    end: s.dropoff_ts + 1_800_000,
    acc: { n: 1 + (i % 3), fare: s.fare_amount },
    pending: true,
    index: 0,
    zone: String(s.pickup_location_id),
  },
]);
const wire = new V8WireWriter();
/** What v8.deserialize reads back, for the output check (the writer's bytes differ where V8 writes a small integer as one). */
const decoded = (encode: (x: unknown) => Buffer) => JSON.stringify(sessionEntries.map((x) => deserialize(encode(x))));

const decimalBytes = Buffer.alloc(N * DECIMAL_MAX_LENGTH);
let sink = 0;

/** JSON lines of `items` as `toJsonl` writes them: one string per line, joined, then UTF-8 bytes. */
const jsonLines = <T>(items: T[], line: (item: T) => string) => Buffer.from(items.map((item) => line(item) + '\n').join(''), 'utf8');

async function fastJsonStringify(): Promise<((schema: object) => (value: unknown) => string) | undefined> {
  try {
    const name = 'fast-json-stringify';
    return ((await import(name)) as { default: (schema: object) => (value: unknown) => string }).default;
  } catch {
    return undefined;
  }
}

async function cases(): Promise<Case[]> {
  const fjs = await fastJsonStringify();
  const number = { type: 'number' };
  const nullableNumber = { type: ['number', 'null'] };
  const windowResultJson = fjs?.({
    type: 'object',
    properties: {
      key: nullableNumber,
      window: { type: 'object', properties: { start: number, end: number } },
      value: {
        type: 'object',
        properties: { trips: number, revenue: number, avgFare: nullableNumber, avgDistance: nullableNumber },
      },
      pane: { type: 'object', properties: { index: number, timing: { type: 'string' } } },
      id: { type: 'string' },
    },
  });
  const silverProperties = Object.fromEntries(
    Object.entries(rows[0]).map(([name, value]) => [name, typeof value === 'string' ? { type: ['string', 'null'] } : nullableNumber]),
  );
  const silverJson = fjs?.({ type: 'object', properties: silverProperties });
  const withFjs = (variant: Variant | undefined): Variant[] => (fjs && variant ? [variant] : []);

  return [
    {
      name: `decimal text of ${N} integers (window bounds, pane indices of result ids)`,
      variants: [
        {
          name: "plain: Buffer#write(String(x), 'latin1')",
          run: () => {
            let at = 0;
            for (const x of numbers) at += decimalBytes.write(String(x), at, 'latin1');
            sink += at;
          },
          output: () => Buffer.from(numbers.map(String).join('')),
        },
        {
          name: 'fast: writeDecimal (src/fast/decimal-ascii.ts)',
          run: () => {
            let at = 0;
            for (const x of numbers) at = writeDecimal(decimalBytes, at, x);
            sink += at;
          },
          output: () => {
            let at = 0;
            for (const x of numbers) at = writeDecimal(decimalBytes, at, x);
            return Buffer.from(decimalBytes.subarray(0, at));
          },
        },
      ],
    },
    {
      name: `window results to JSON lines (${N} zone-5m results)`,
      variants: [
        {
          name: 'plain: JSON.stringify (toJsonl)',
          run: () => jsonLines(results, JSON.stringify),
          output: () => jsonLines(results, JSON.stringify),
        },
        ...withFjs(
          windowResultJson && {
            name: 'fast-json-stringify (full schema)',
            run: () => jsonLines(results, windowResultJson),
            output: () => jsonLines(results, windowResultJson),
          },
        ),
      ],
    },
    {
      name: `Silver rows to JSON lines (${N} rows)`,
      variants: [
        {
          name: 'plain: JSON.stringify (toJsonl)',
          run: () => jsonLines(rows, JSON.stringify),
          output: () => jsonLines(rows, JSON.stringify),
        },
        {
          name: 'tuned: silverTripLineTuned (bench/taxi)',
          run: () => jsonLines(rows, silverTripLineTuned),
          output: () => jsonLines(rows, silverTripLineTuned),
        },
        ...withFjs(
          silverJson && {
            name: 'fast-json-stringify (full schema)',
            run: () => jsonLines(rows, silverJson),
            output: () => jsonLines(rows, silverJson),
          },
        ),
      ],
    },
    {
      name: `raw trip lines (${N} trips)`,
      variants: [
        {
          name: 'plain: rawTripLine (JSON.stringify)',
          run: () => (sink += rawTrips.map(rawTripLine).length),
          output: () => rawTrips.map(rawTripLine).join('\n'),
        },
        {
          name: 'tuned: rawTripLineTuned (bench/taxi)',
          run: () => (sink += rawTrips.map(rawTripLineTuned).length),
          output: () => rawTrips.map(rawTripLineTuned).join('\n'),
        },
      ],
    },
    {
      name: `Bronze parse (${N} raw lines)`,
      variants: [
        {
          name: 'plain: parseBronze (JSON.parse, regular expression)',
          run: () => (sink += rawLines.map(parseBronze).length),
          output: () => JSON.stringify(rawLines.map(parseBronze)),
        },
        {
          name: 'tuned: parseBronzeTuned (bench/taxi)',
          run: () => (sink += rawLines.map(parseBronzeTuned).length),
          output: () => JSON.stringify(rawLines.map(parseBronzeTuned)),
        },
      ],
    },
    {
      name: `state values: ${N} epoch-ms numbers (dedup's seen ids)`,
      variants: [
        {
          name: 'plain: v8.serialize',
          run: () => {
            for (const x of epochs) sink += serialize(x).length;
          },
          output: () => Buffer.concat(epochs.map((x) => serialize(x))),
        },
        {
          name: 'fast: serializeStateValue (src/fast/serialize-state-value.ts)',
          run: () => {
            for (const x of epochs) sink += serializeStateValue(x).length;
          },
          output: () => Buffer.concat(epochs.map((x) => serializeStateValue(x))),
        },
      ],
    },
    {
      name: `state values on disk: ${N} session entries (a key's sessions, written at a checkpoint)`,
      variants: [
        {
          name: 'plain: v8.serialize',
          run: () => {
            for (const x of sessionEntries) sink += serialize(x).length;
          },
          output: () => decoded(serialize),
        },
        {
          name: 'fast: V8WireWriter (src/fast/v8-wire-writer.ts)',
          run: () => {
            for (const x of sessionEntries) sink += wire.write(x).length;
          },
          output: () => decoded((x) => Buffer.from(wire.write(x))),
        },
      ],
    },
  ];
}

/** Process CPU time in ms: on a shared machine, time other processes take is not counted against a variant. */
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const ROUNDS = Number(process.env.FAST_PATHS_ROUNDS ?? 5);

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  const rowsOut: Row[] = [];
  for (const c of await cases()) {
    const expected = c.variants[0].output?.();
    for (const v of c.variants.slice(1)) {
      const got = v.output?.();
      if (expected !== undefined && got !== undefined && !Buffer.from(got).equals(Buffer.from(expected))) {
        throw new Error(`${c.name}: "${v.name}" writes other bytes than "${c.variants[0].name}"`);
      }
    }
    process.stderr.write(`… ${c.name}\n`);
    // Rounds, each timing every variant in turn: a drift in the machine's load hits all of them,
    // and the speed-up is the median of each round's ratio to the plain definition.
    const p50s: number[][] = c.variants.map(() => []);
    const rmes: number[][] = c.variants.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const bench = new Bench({ time: 200, warmupTime: 50, now: cpuNow } as ConstructorParameters<typeof Bench>[0]);
      for (const v of c.variants) bench.add(v.name, v.run);
      await bench.run();
      bench.tasks.forEach((t, i) => {
        const r = t.result;
        if (r.state !== 'completed') throw new Error(`${c.name} / ${t.name}: ${r.state}`);
        p50s[i].push(r.latency.p50);
        rmes[i].push(r.latency.rme);
      });
    }
    c.variants.forEach((v, i) => {
      const medianMs = median(p50s[i]);
      rowsOut.push({
        case: c.name,
        variant: v.name,
        opsPerSecond: 1000 / medianMs,
        medianUs: medianMs * 1000,
        rmePercent: median(rmes[i]),
        speedUp: median(p50s[0].map((plain, round) => plain / p50s[i][round])),
      });
    });
  }
  let current = '';
  for (const r of rowsOut) {
    if (r.case !== current) {
      current = r.case;
      console.log(`\n${r.case}  (CPU µs per operation, median of ${ROUNDS} rounds; speed-up over the plain definition)`);
    }
    console.log(
      `  ${r.variant.padEnd(66)} ${r.medianUs.toFixed(1).padStart(9)} µs  ±${r.rmePercent.toFixed(1).padStart(4)}%  ×${r.speedUp.toFixed(2)}`,
    );
  }
  const file = join(import.meta.dirname, 'results', 'fast-paths-latest.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        clock: 'process CPU time',
        rounds: ROUNDS,
        results: rowsOut,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\n→ ${file} (checksum ${sink % 1000})`);
}

await main();
