/**
 * Throughput of the interval join: the operator alone (batches handed to `processInput`, a
 * watermark after each pair of batches) and end to end (two `fromArray` sources, their own
 * `withTimestamps` and `keyBy`, the union, the join, an array sink).
 * Run: `node --import tsx bench/join.bench.ts [records per side]` (default 200,000).
 */
import { Bench } from 'tinybench';
import type { Batch } from '../src/core/batch.js';
import { Metrics } from '../src/core/metrics.js';
import type { Output } from '../src/core/operator.js';
import { intervalJoin, joinSpecOf, type JoinKind } from '../src/joins/index.js';
import { boundedOutOfOrderness, from, fromArray, type Sink } from '../src/index.js';

const RECORDS = Number(process.argv[2] ?? 200_000);
const BATCH = 1024;
const KEYS = 10_000;

interface Event {
  key: number;
  t: number;
}

// Per side, 100 records per second of event time over 10,000 keys; the right side 20 s behind
// the left, so within '1m' each left record meets about one right record.
const side = (shift: number): Event[] => Array.from({ length: RECORDS }, (_, i) => ({ key: (i * 7919) % KEYS, t: i * 10 + shift }));
const left = side(0);
const right = side(20_000);
const batchesOf = (events: Event[]): Batch<Event>[] => {
  const out: Batch<Event>[] = [];
  for (let from = 0; from < events.length; from += BATCH) {
    const values = events.slice(from, from + BATCH);
    out.push({
      values,
      times: values.map((e) => e.t),
      keys: values.map((e) => e.key),
      positions: values.map((_, k) => from + k),
      partition: 0,
    });
  }
  return out;
};
const leftBatches = batchesOf(left);
const rightBatches = batchesOf(right);

let results = 0;
const out: Output<unknown> = {
  emit: (b) => (results += b.values.length),
  watermark: () => undefined,
  late: () => undefined,
  deadLetter: () => undefined,
};

function operatorOnly(kind: JoinKind): void {
  const op = intervalJoin(joinSpecOf({ within: '1m', kind }), (l: Event | null, r: Event | null) => (l ? l.t : 0) + (r ? r.t : 0));
  op.open({ uid: '0-join', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics() });
  for (let b = 0; b < leftBatches.length; b++) {
    op.processInput(0, leftBatches[b], out);
    op.processInput(1, rightBatches[b], out);
    const l = leftBatches[b].times!;
    const r = rightBatches[b].times!;
    op.processWatermark(Math.min(l[l.length - 1], r[r.length - 1]) - 1, out);
  }
  op.processWatermark(Infinity, out);
}

const counting: Sink<unknown> = { write: (items) => void (results += items.length) };

async function endToEnd(kind: JoinKind): Promise<void> {
  await from(fromArray(left))
    .withTimestamps((e) => e.t, boundedOutOfOrderness(0))
    .keyBy((e) => e.key)
    .join(
      from(fromArray(right))
        .withTimestamps((e) => e.t, boundedOutOfOrderness(0))
        .keyBy((e) => e.key),
      { within: '1m', kind },
      (l: Event | null, r: Event | null) => (l ? l.t : 0) + (r ? r.t : 0),
    )
    .to(counting)
    .run();
}

const bench = new Bench({
  name: `interval join, ${RECORDS.toLocaleString('en')} records per side`,
  time: 0,
  iterations: 5,
  warmupIterations: 1,
});
bench
  .add('operator, inner', () => operatorOnly('inner'))
  .add('operator, outer', () => operatorOnly('outer'))
  .add('end to end, inner', () => endToEnd('inner'))
  .add('end to end, outer', () => endToEnd('outer'));
await bench.run();
const rows = bench.tasks.map((task) => {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
  const median = result.latency.p50;
  return {
    task: task.name,
    'median ms': median.toFixed(1),
    'records/s (both sides)': Math.round((2 * RECORDS) / (median / 1000)).toLocaleString('en'),
  };
});
console.table(rows);
