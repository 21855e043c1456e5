/**
 * Throughput of the joins: the interval join and the lookup (temporal) join with a table, each
 * the operator alone (batches handed to `processInput`, a watermark after each pair of batches)
 * and end to end (`fromArray` sources, their own `withTimestamps` and `keyBy`, the union, the
 * join, an array sink). The lookup join's records/s counts the stream's records (the table's rows
 * are a tenth of them, or one per key for the static table).
 * Run: `node --import tsx bench/join.bench.ts [records per side]` (default 200,000).
 */
import { Bench } from 'tinybench';
import type { Batch } from '../src/core/batch.js';
import { Metrics } from '../src/core/metrics.js';
import type { Output } from '../src/core/operator.js';
import { intervalJoin, joinSpecOf, lookupJoin, lookupSpecOf, type JoinKind, type LookupKind } from '../src/joins/index.js';
import { boundedOutOfOrderness, from, fromArray, table, type Sink } from '../src/index.js';

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

// The lookup join's table: a version of a key every 10 stream records' worth of event time, 10 s
// ahead of the stream so the table's watermark never holds it back; or every key once, static.
const TABLE_ROWS = Math.ceil(RECORDS / 10);
const versions: Event[] = Array.from({ length: TABLE_ROWS }, (_, i) => ({ key: (i * 104_729) % KEYS, t: i * 100 + 10_000 }));
const staticRows: Event[] = Array.from({ length: KEYS }, (_, key) => ({ key, t: 0 }));
const versionBatches = batchesOf(versions);
const staticBatches = batchesOf(staticRows).map((batch) => ({ ...batch, times: undefined }));

function lookupOperatorOnly(kind: LookupKind, isStatic: boolean): void {
  const op = lookupJoin(
    lookupSpecOf({ kind }, isStatic ? 'static' : 'versioned'),
    (e: Event) => e.key,
    { keyOf: (row: Event) => row.key },
    (e: Event, row: Event | null) => e.t + (row ? row.t : 0),
    true,
  );
  op.open({ uid: 'lookup#0', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics() });
  if (isStatic) {
    for (const batch of staticBatches) op.processInput(1, batch, out);
  }
  let v = 0;
  for (let b = 0; b < leftBatches.length; b++) {
    const l = leftBatches[b].times!;
    const upTo = l[l.length - 1];
    // Table batches up to the stream's time, then the stream's batch and the common watermark.
    while (!isStatic && v < versionBatches.length && versionBatches[v].times![0] <= upTo) op.processInput(1, versionBatches[v++], out);
    op.processInput(0, leftBatches[b], out);
    op.processWatermark(upTo - 1, out);
  }
  op.processWatermark(Infinity, out);
}

async function lookupEndToEnd(kind: LookupKind, isStatic: boolean): Promise<void> {
  const rows = from(fromArray(isStatic ? staticRows : versions));
  await from(fromArray(left))
    .withTimestamps((e) => e.t, boundedOutOfOrderness(0))
    .keyBy((e) => e.key)
    .lookup(
      table(isStatic ? rows : rows.withTimestamps((e) => e.t, boundedOutOfOrderness(0)), (row) => row.key),
      (e) => e.key,
      (e: Event, row: Event | null) => e.t + (row ? row.t : 0),
      { kind },
    )
    .to(counting)
    .run();
}

/** Records each task moves: both sides of an interval join, the stream side of a lookup join. */
const recordsOf = new Map<string, number>();
const bench = new Bench({
  name: `joins, ${RECORDS.toLocaleString('en')} records per side`,
  time: 0,
  iterations: 5,
  warmupIterations: 1,
});
bench
  .add('operator, inner', () => operatorOnly('inner'))
  .add('operator, outer', () => operatorOnly('outer'))
  .add('end to end, inner', () => endToEnd('inner'))
  .add('end to end, outer', () => endToEnd('outer'))
  .add('lookup operator, versioned, left', () => lookupOperatorOnly('left', false))
  .add('lookup operator, static, inner', () => lookupOperatorOnly('inner', true))
  .add('lookup end to end, versioned, left', () => lookupEndToEnd('left', false))
  .add('lookup end to end, static, inner', () => lookupEndToEnd('inner', true));
for (const task of bench.tasks) recordsOf.set(task.name, task.name.startsWith('lookup') ? RECORDS : 2 * RECORDS);
await bench.run();
const rows = bench.tasks.map((task) => {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
  const median = result.latency.p50;
  return {
    task: task.name,
    'median ms': median.toFixed(1),
    records: recordsOf.get(task.name)!.toLocaleString('en'),
    'records/s': Math.round(recordsOf.get(task.name)! / (median / 1000)).toLocaleString('en'),
  };
});
console.table(rows);
