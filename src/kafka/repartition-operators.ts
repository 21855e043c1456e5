import { compactBatch, type Batch } from '../core/batch.js';
import { RecordRejected, StateError } from '../core/errors.js';
import type { MapTable } from '../core/keyed-state.js';
import type { MetricSample } from '../core/metrics.js';
import type { Operator, OperatorContext, Output, StateWriter } from '../core/operator.js';
import { applyToEach } from '../core/operators/map-operator.js';
import { keyedState } from '../state/keyed-state-service.js';
import { PartitionWatermarks } from '../watermarks/partition-watermarks.js';
import type { WatermarkStrategy } from '../watermarks/watermark-strategy.js';
import { packPartitionId } from './partition-id.js';
import { METRICS } from '../core/metric-catalogue.js';

/**
 * What the stage before a repartition hands its producer: the record with its message key, its
 * event time (when the stream is timestamped) and where it came from. `origin` is
 * `<source partition>/<position>/<n>`, `n` numbering the records one input record became (flatMap).
 */
export interface OutgoingRecord {
  key: string | Buffer;
  value: unknown;
  time?: number;
  origin: string;
}

/** A repartition-topic message as the stage after it reads it. */
export interface IncomingRecord {
  value: unknown;
  time?: number;
  /** The source partition of the stage before the repartition that the record was read from. */
  originPartition: number;
  originPosition: number;
  originSeq: number;
}

/**
 * The message key of a record: strings and buffers as they are, bigints in decimal, anything else
 * as JSON (so `7` and `'7'` share a partition). A missing key would let the producer spread one
 * key's records over partitions, so it is bad input.
 */
export function messageKey(key: unknown): string | Buffer {
  if (typeof key === 'string' || Buffer.isBuffer(key)) return key;
  if (typeof key === 'bigint') return key.toString();
  if (key === null || key === undefined)
    throw new RecordRejected(`repartition key is ${key}: every record needs a key to choose its partition`);
  const text = JSON.stringify(key);
  if (text === undefined) throw new RecordRejected(`repartition key is a ${typeof key}, which has no JSON form`);
  return text;
}

/**
 * Last operator of the stage before a repartition: computes each record's message key (a throwing
 * key function sends the record to dead letters) and wraps it for the producer with its event time
 * and origin.
 */
export class RepartitionWriteOperator<T> implements Operator<T, OutgoingRecord> {
  readonly name = 'repartition';
  private uid = 'repartition';

  constructor(private readonly keyOf: (value: T) => unknown) {}

  open(ctx: OperatorContext): void {
    this.uid = ctx.uid;
  }

  processBatch(batch: Batch<T>, out: Output<OutgoingRecord>): void {
    const keyed = applyToEach(batch, (value) => messageKey(this.keyOf(value)), out, this.uid);
    if (!keyed) return;
    const { values, positions, times, partition } = batch;
    const n = values.length;
    const records = new Array<OutgoingRecord>(n);
    let seq = 0;
    for (let i = 0; i < n; i++) {
      // Records of one input record (flatMap) are adjacent and share its position.
      seq = i > 0 && positions[i] === positions[i - 1] ? seq + 1 : 0;
      records[i] = { key: keyed.results[i], value: values[i], time: times?.[i], origin: `${partition}/${positions[i]}/${seq}` };
    }
    const result: Batch<OutgoingRecord> = { ...batch, values: records };
    out.emit(keyed.keep ? compactBatch(result, keyed.keep, keyed.kept) : result);
  }
}

/**
 * State keys, layout version 1: `1/<repartition partition>/<origin partition>` holds
 * `[position, n]` of the last record taken from that origin in that partition.
 */
const STATE_VERSION = '1';
const STATE_PREFIX = `${STATE_VERSION}/`;

/** Where the stage after a repartition learns the partitions of the stage before it (filled in when the topic is prepared). */
export interface OriginPartitions {
  known?: readonly number[];
}

/**
 * First operator of the stage after a repartition: unwraps records, drops copies written again by
 * a replay of the stage before, and (when that stage was timestamped) restores event time and
 * tracks watermarks.
 *
 * One repartition partition interleaves records from every partition of the stage before, each
 * origin's records in their original order. The watermark is therefore tracked per (repartition
 * partition, origin partition) with the upstream's strategy, and is the minimum over them: a slow
 * upstream partition holds the watermark back instead of making its records late. The same order
 * makes replays detectable: a record whose origin position is not after the last one taken from
 * that origin is a copy, dropped and counted in `dedup_dropped`.
 */
export class RepartitionReadOperator implements Operator<IncomingRecord, unknown> {
  readonly name = 'repartitioned';
  private ctx!: OperatorContext;
  private readonly watermarks?: PartitionWatermarks;
  private emitted = -Infinity;
  private readonly originIndex = new Map<number, number>();
  /** Its keyed state, written incrementally. */
  private readonly state = keyedState('repartitioned', STATE_VERSION);
  /** `<partition>/<origin>` → [position, n] of the last record taken. */
  private readonly last: MapTable<[number, number]> = this.state.map<[number, number]>({
    prefix: STATE_PREFIX,
    decode: (value, key) => {
      if (!Array.isArray(value) || value.length !== 2 || !value.every((n) => typeof n === 'number')) {
        throw new StateError('STATE_CORRUPT', `repartitioned: state entry ${JSON.stringify(key)} is not [position, n]`);
      }
      return value as [number, number];
    },
  });
  private watermarkGauge?: MetricSample;
  private dropped?: MetricSample;

  constructor(
    strategy: WatermarkStrategy | undefined,
    private readonly origins: OriginPartitions,
  ) {
    if (strategy) this.watermarks = new PartitionWatermarks(strategy.maxDelay, strategy.idleTimeout);
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    if (this.watermarks) {
      this.watermarkGauge = ctx.metrics.gauge(METRICS.watermark, { operator: ctx.uid });
      // No watermark until the first batch: a gauge's 0 would read as 1970-01-01.
      this.watermarkGauge.value = -Infinity;
    }
  }

  processBatch(batch: Batch<IncomingRecord>, out: Output<unknown>): void {
    const { values, partition } = batch;
    const n = values.length;
    const out0: unknown[] = new Array(n);
    const times = this.watermarks ? new Array<number>(n) : undefined;
    let keep: Uint8Array | undefined;
    let kept = 0;
    let duplicates = 0;
    const maxByOrigin = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const r = values[i];
      const id = `${partition}/${r.originPartition}`;
      const seen = this.last.get(id);
      let reject: string | undefined;
      if (seen && (r.originPosition < seen[0] || (r.originPosition === seen[0] && r.originSeq <= seen[1]))) reject = 'duplicate';
      else if (times && r.time === undefined)
        reject = 'repartitioned message has no event time, but the stream was timestamped before .repartition()';
      if (reject !== undefined) {
        if (!keep) keep = new Uint8Array(n).fill(1, 0, i);
        if (reject === 'duplicate') duplicates++;
        else out.deadLetter({ reason: reject, raw: r.value, position: { partition, offset: batch.positions[i] }, operator: this.ctx.uid });
        continue;
      }
      if (keep) keep[i] = 1;
      kept++;
      this.last.set(id, [r.originPosition, r.originSeq]);
      out0[i] = r.value;
      if (times) {
        const t = r.time!;
        times[i] = t;
        const max = maxByOrigin.get(r.originPartition);
        if (max === undefined || t > max) maxByOrigin.set(r.originPartition, t);
      }
    }
    if (duplicates > 0) (this.dropped ??= this.ctx.metrics.counter(METRICS.dedupDropped, { operator: this.ctx.uid })).value += duplicates;
    if (kept > 0) {
      const result: Batch<unknown> = { values: out0, times, keys: batch.keys, positions: batch.positions, partition };
      out.emit(keep ? compactBatch(result, keep, kept) : result);
    }
    if (this.watermarks) {
      const now = this.ctx.now();
      for (const [origin, max] of maxByOrigin) this.watermarks.observe(this.composite(partition, origin), max, now);
      this.advance(out);
    }
  }

  processWatermark(time: number, out: Output<unknown>): void {
    if (!this.watermarks) out.watermark(time);
    else if (time === Infinity) this.emit(Infinity, out);
  }

  onTick(now: number, out: Output<unknown>): void {
    if (!this.watermarks) return;
    this.watermarks.checkIdle(this.trackedPartitions(), now);
    this.advance(out);
  }

  snapshotState(writer: StateWriter, full: boolean): void {
    this.state.snapshot(writer, full);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    this.state.restore(entries);
  }

  /** The watermark id of an origin within a repartition partition: (partition, origin index), packed as every partition id is. */
  private composite(partition: number, origin: number): number {
    let index = this.originIndex.get(origin);
    if (index === undefined) {
      this.knownOrigins();
      index = this.originIndex.get(origin);
      // An origin the topic metadata did not list (partitions added since): tracked from now on.
      if (index === undefined) this.originIndex.set(origin, (index = this.originIndex.size));
    }
    return packPartitionId(partition, index);
  }

  private knownOrigins(): void {
    for (const origin of this.origins.known ?? []) {
      if (!this.originIndex.has(origin)) this.originIndex.set(origin, this.originIndex.size);
    }
  }

  /** Every (assigned repartition partition, origin partition) pair: one that has sent nothing yet holds the watermark. */
  private trackedPartitions(): number[] {
    this.knownOrigins();
    const ids: number[] = [];
    for (const p of this.ctx.sourcePartitions()) for (let i = 0; i < this.originIndex.size; i++) ids.push(packPartitionId(p, i));
    return ids;
  }

  private advance(out: Output<unknown>): void {
    const w = this.watermarks!.current(this.trackedPartitions());
    this.watermarkGauge!.value = w / 1000;
    this.emit(w, out);
  }

  private emit(w: number, out: Output<unknown>): void {
    if (w > this.emitted) {
      this.emitted = w;
      out.watermark(w);
    }
  }
}
