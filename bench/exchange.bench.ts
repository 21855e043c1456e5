// The hand-off of records between two threads (tinybench): `npm run bench` runs it after
// bench/fast-paths.bench.ts, or alone `tsx bench/exchange.bench.ts`. Taxi Silver rows cross from
// the main thread to a worker in batches of 64, 512 and 4,096 through each candidate transport:
//
//   clone         the exchange channel (src/parallel): a MessagePort, one structured-clone message
//                 per frame, values checked before sending; also with the check turned off
//   v8-transfer   v8.serialize of each frame into an ArrayBuffer transferred with postMessage
//   shared-ring   v8.serialize copied into a SharedArrayBuffer slot ring, Atomics.waitAsync/notify
//
// Every transport keeps 8 frames in flight at most. One operation sends 16,384 records and a
// barrier, and waits until the worker has taken them all: its time divided by the records is the
// wall time per record of the pair of threads (the slower side bounds it). "sender" and
// "receiver" are each thread's busy time per record (the active part of its event loop
// utilization): checking, serializing and posting on one side, reading and deserializing on the
// other, what an upstream and a downstream worker pay. The same run times what a typical operator costs per record (the
// taxi Silver rules, a tumbling-window aggregate), so the two can be compared.
// Writes bench/results/exchange-latest.json.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deserialize, serialize } from 'node:v8';
import { MessageChannel, Worker, type TransferListItem } from 'node:worker_threads';
import { Bench, type Task } from 'tinybench';
import { parseBronze } from '../examples/taxi/bronze.js';
import { generateTrips } from '../examples/taxi/generator.js';
import type { RawTrip } from '../examples/taxi/raw-trip.js';
import { toSilver, type SilverTrip } from '../examples/taxi/silver.js';
import { Metrics } from '../src/core/metrics.js';
import type { Output } from '../src/core/operator.js';
import { openExchange } from '../src/parallel/exchange-channel.js';
import type { SendableFrame } from '../src/parallel/exchange-sender.js';
import { checkExchangeValues } from '../src/parallel/exchange-values.js';
import { avg, combineAggregators, count, sum } from '../src/windowing/aggregators/index.js';
import { tumbling } from '../src/windowing/tumbling.js';
import { windowOperator } from '../src/windowing/window-operator.js';
import { sharedRing, SharedRingSender, TransferredV8Sender, type CandidateSender } from './exchange/candidate-transports.js';
import type { ExchangeRow } from './report/exchange-section.js';

const RECORDS_PER_OP = 16_384;
const BATCH_SIZES = [64, 512, 4096];
const CREDITS = 8;
const TS_WORKER = new URL('../scripts/ts-worker.mjs', import.meta.url);
/** Set once the receivers are stopped on purpose. */
let stopping = false;
const RECEIVER = new URL('./exchange/receiver-worker.ts', import.meta.url).href;

/** One row of the printed table and of exchange-latest.json. */
type Row = ExchangeRow;

// Inputs: the example generator's trips, as Bronze and as Silver rows.
const rawTrips: RawTrip[] = [...generateTrips({ events: RECORDS_PER_OP + 4096, seed: 1 })].flatMap((line) => {
  const r = parseBronze(line);
  return r.ok ? [r.trip] : [];
});
const silver: SilverTrip[] = rawTrips.flatMap((t) => {
  const s = toSilver(t);
  return s ? [s] : [];
});
if (silver.length < RECORDS_PER_OP) throw new Error(`only ${silver.length} Silver rows`);
const rows = silver.slice(0, RECORDS_PER_OP);

function framesOf(batchSize: number): SendableFrame<SilverTrip>[] {
  const frames: SendableFrame<SilverTrip>[] = [];
  for (let from = 0; from < rows.length; from += batchSize) {
    const values = rows.slice(from, from + batchSize);
    frames.push({ kind: 'records', values, times: values.map((r) => r.pickup_ts) });
    frames.push({ kind: 'watermark', time: values[values.length - 1].pickup_ts - 7_260_000 });
  }
  return frames;
}

/** A candidate with its receiving worker, and what the worker reports per barrier. */
interface Lane {
  transport: string;
  sender: CandidateSender;
  worker: Worker;
  nextReport(): Promise<{ records: number }>;
  /** Busy milliseconds of the sending and the receiving thread in each operation, warm-up first. */
  busy: Array<{ sender: number; receiver: number }>;
}

function startWorker(
  workerData: object,
  transferList: TransferListItem[] = [],
): { worker: Worker; nextReport: () => Promise<{ records: number }> } {
  const worker = new Worker(TS_WORKER, { workerData: { ...workerData, script: RECEIVER }, transferList });
  worker.on('error', (e) => {
    console.error('receiver failed', e);
    process.exit(1);
  });
  worker.on('exit', (code) => {
    if (!stopping) {
      console.error(`a receiver exited (code ${code}) before the end`);
      process.exit(1);
    }
  });
  return { worker, nextReport: () => new Promise((resolve) => worker.once('message', resolve)) };
}

function lanes(slotBytes: number): Lane[] {
  const out: Lane[] = [];
  for (const checkValues of [true, false]) {
    const { sender, port } = openExchange<SilverTrip>({ credits: CREDITS, checkValues });
    const w = startWorker({ transport: 'clone', port }, [port]);
    out.push({ transport: checkValues ? 'clone (exchange channel)' : 'clone, values not checked', sender, ...w, busy: [] });
  }
  const v8 = new MessageChannel();
  out.push({
    transport: 'v8-transfer',
    sender: new TransferredV8Sender(v8.port1, CREDITS),
    ...startWorker({ transport: 'v8-transfer', port: v8.port2 }, [v8.port2]),
    busy: [],
  });
  const ring = sharedRing(CREDITS, slotBytes);
  out.push({ transport: 'shared-ring', sender: new SharedRingSender(ring), ...startWorker({ transport: 'shared-ring', ring }), busy: [] });
  return out;
}

async function handOff(lane: Lane, frames: readonly SendableFrame<SilverTrip>[]): Promise<void> {
  const report = lane.nextReport();
  const sender = performance.eventLoopUtilization();
  const receiver = lane.worker.performance.eventLoopUtilization();
  for (const frame of [...frames, { kind: 'barrier', checkpointId: 1 } as const]) {
    const wait = lane.sender.send(frame);
    if (wait) await wait;
  }
  const { records } = await report;
  if (records !== RECORDS_PER_OP) throw new Error(`${lane.transport}: the worker took ${records} records, not ${RECORDS_PER_OP}`);
  lane.busy.push({
    sender: performance.eventLoopUtilization(sender).active,
    receiver: lane.worker.performance.eventLoopUtilization(receiver).active,
  });
}

/** Zone-5m's aggregate over Silver rows: the per-record work of a tumbling window. */
function zoneWindow() {
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
  const output: Output<unknown> = { emit: () => undefined, watermark: () => undefined, late: () => undefined, deadLetter: () => undefined };
  const batch = rows.slice(0, 4096);
  return () =>
    op.processBatch(
      {
        values: batch,
        times: batch.map((s) => s.pickup_ts),
        keys: batch.map((s) => s.pickup_location_id),
        positions: batch.map((_, i) => i),
        partition: 0,
      },
      output,
    );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function row(task: Task, recordsPerOp: number, extra: Partial<Row> = {}): Row {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}${'error' in r ? ` (${String(r.error)})` : ''}`);
  return {
    name: task.name,
    medianMs: r.latency.p50,
    rmePercent: r.latency.rme,
    samples: r.latency.samplesCount,
    recordsPerOp,
    nsPerRecord: (r.latency.p50 * 1e6) / recordsPerOp,
    ...extra,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const slotBytes = 2 * serialize(framesOf(Math.max(...BATCH_SIZES))[0]).length + 1024;
  const all = lanes(slotBytes);
  const results: Row[] = [];

  // A typical operator's cost per record, timed in the same run.
  const operators = new Bench({ time: 1000, warmupTime: 200 } as ConstructorParameters<typeof Bench>[0]);
  const trips = rawTrips.slice(0, 4096);
  let kept = 0;
  operators.add('operator: taxi Silver rules (toSilver), 4,096 trips', () => {
    for (const t of trips) if (toSilver(t)) kept++;
  });
  operators.add('operator: tumbling 5m window, count+sum+2 avg (windowOperator), 4,096 rows', zoneWindow());
  // The parts of a hand-off on one thread: the check the channel makes, and V8's serializer, which
  // every candidate runs (structured clone is the same serializer inside postMessage).
  const batch = rows.slice(0, 4096);
  operators.add('part: checkExchangeValues, 4,096 rows', () => checkExchangeValues(batch));
  operators.add('part: v8.serialize, 4,096 rows', () => serialize(batch));
  const serialized = serialize(batch);
  operators.add('part: v8.deserialize, 4,096 rows', () => deserialize(serialized));
  await operators.run();
  for (const t of operators.tasks) results.push(row(t, 4096));

  for (const batchSize of BATCH_SIZES) {
    const frames = framesOf(batchSize);
    const bench = new Bench({ time: 1500, warmupTime: 300, iterations: 16, warmupIterations: 4 } as ConstructorParameters<typeof Bench>[0]);
    for (const lane of all)
      bench.add(`hand-off: ${lane.transport}, batches of ${batchSize}`, async () => {
        await handOff(lane, frames);
      });
    await bench.run();
    bench.tasks.forEach((task, i) => {
      const lane = all[i];
      // The timed operations are the last ones; warm-up came first.
      const timed = lane.busy.slice(-(task.result.state === 'completed' ? task.result.latency.samplesCount : 1));
      const perRecord = (ms: number) => (ms * 1e6) / RECORDS_PER_OP;
      results.push(
        row(task, RECORDS_PER_OP, {
          transport: lane.transport,
          batchSize,
          senderBusyNsPerRecord: perRecord(median(timed.map((b) => b.sender))),
          receiverBusyNsPerRecord: perRecord(median(timed.map((b) => b.receiver))),
        }),
      );
      lane.busy = [];
    });
  }
  stopping = true;
  await Promise.all(all.map((lane) => lane.worker.terminate()));

  console.log(`\n${'benchmark'.padEnd(78)} ${'ns/record'.padStart(10)} ${'sender'.padStart(8)} ${'receiver'.padStart(8)}  rme`);
  const ns = (x: number | undefined) => (x === undefined ? '' : x.toFixed(0)).padStart(8);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(78)} ${r.nsPerRecord.toFixed(0).padStart(10)} ${ns(r.senderBusyNsPerRecord)} ${ns(r.receiverBusyNsPerRecord)}  ±${r.rmePercent.toFixed(1)}%`,
    );
  }
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage: loadavg(),
    credits: CREDITS,
    recordsPerOp: RECORDS_PER_OP,
    totalSeconds: Math.round((Date.now() - started) / 100) / 10,
    kept,
    results,
  };
  writeFileSync(join(import.meta.dirname, 'results', 'exchange-latest.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(`\n${results.length} rows in ${out.totalSeconds} s → bench/results/exchange-latest.json`);
}

await main();
