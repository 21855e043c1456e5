import { compactBatch, type Batch } from '../core/batch.js';
import { rejectionReason } from '../core/errors.js';
import type { MetricSample } from '../core/metrics.js';
import type { Operator, OperatorContext, Output } from '../core/operator.js';
import { badTimestampReason } from './bad-timestamp-reason.js';
import { PartitionWatermarks } from './partition-watermarks.js';
import type { WatermarkStrategy } from './watermark-strategy.js';
import { METRICS } from '../core/metric-catalogue.js';

/**
 * The `withTimestamps` stage: reads each record's event time, sends records with a bad timestamp
 * (not a safe integer, or a throwing extractor) to dead letters, and emits the stream watermark
 * after every batch. Upstream watermarks are replaced, except `+Infinity` (end of input), as in Flink.
 *
 * Invariant: only timestamps that passed {@link badTimestampReason} reach the watermark; a record
 * dead-lettered here never moves it.
 */
export class TimestampOperator<T> implements Operator<T, T> {
  readonly name = 'withTimestamps';
  private ctx!: OperatorContext;
  private readonly watermarks: PartitionWatermarks;
  private emitted = -Infinity;
  private watermarkGauge!: MetricSample;
  private lagGauge!: MetricSample;
  private readonly partitionGauges = new Map<number, [watermark: MetricSample, idle: MetricSample]>();

  constructor(
    private readonly timeOf: (record: T) => number,
    strategy: WatermarkStrategy,
  ) {
    this.watermarks = new PartitionWatermarks(strategy.maxDelay, strategy.idleTimeout);
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    // Looked up once: advance() runs after every batch.
    this.watermarkGauge = ctx.metrics.gauge(METRICS.watermark, { operator: ctx.uid });
    // No watermark until the first batch: a gauge's 0 would read as 1970-01-01.
    this.watermarkGauge.value = -Infinity;
    this.lagGauge = ctx.metrics.gauge(METRICS.watermarkLag, { operator: ctx.uid });
  }

  processBatch(batch: Batch<T>, out: Output<T>): void {
    const { values, positions } = batch;
    const n = values.length;
    const times = new Array<number>(n);
    let keep: Uint8Array | undefined;
    let kept = 0;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      let t: unknown;
      let reason: string | undefined;
      try {
        t = this.timeOf(values[i]);
      } catch (error) {
        reason = rejectionReason(error, 'timestamp extractor');
      }
      // The common case decided inline; the function words the reason.
      if (reason === undefined && !(typeof t === 'number' && Number.isSafeInteger(t))) reason = badTimestampReason(t);
      if (reason !== undefined) {
        if (!keep) keep = new Uint8Array(n).fill(1, 0, i);
        out.deadLetter({ reason, raw: values[i], position: { partition: batch.partition, offset: positions[i] }, operator: this.ctx.uid });
        continue;
      }
      if (keep) keep[i] = 1;
      kept++;
      times[i] = t as number;
      if ((t as number) > max) max = t as number;
    }
    const stamped: Batch<T> = { ...batch, times };
    if (kept > 0) {
      out.emit(keep ? compactBatch(stamped, keep, kept) : stamped);
      this.watermarks.observe(batch.partition, max, this.ctx.now());
    }
    this.advance(out);
  }

  processWatermark(time: number, out: Output<T>): void {
    if (time === Infinity) this.emit(Infinity, out);
  }

  onTick(now: number, out: Output<T>): void {
    this.watermarks.checkIdle(this.ctx.sourcePartitions(), now);
    this.advance(out);
  }

  /** True while every partition of the source is idle: a union then leaves this input out of its watermark. */
  isIdle(): boolean {
    const partitions = this.ctx.sourcePartitions();
    return partitions.length > 0 && partitions.every((p) => this.watermarks.isIdle(p));
  }

  private advance(out: Output<T>): void {
    const w = this.watermarks.current(this.ctx.sourcePartitions());
    this.watermarkGauge.value = w / 1000;
    if (Number.isFinite(w)) this.lagGauge.value = (this.ctx.now() - w) / 1000;
    // Per partition, so a stalled or idle partition holding the stream back is visible.
    for (const p of this.ctx.sourcePartitions()) {
      let gauges = this.partitionGauges.get(p);
      if (!gauges) {
        const labels = { operator: this.ctx.uid, partition: String(p) };
        gauges = [this.ctx.metrics.gauge(METRICS.partitionWatermark, labels), this.ctx.metrics.gauge(METRICS.partitionIdle, labels)];
        this.partitionGauges.set(p, gauges);
      }
      gauges[0].value = this.watermarks.partitionWatermark(p) / 1000;
      gauges[1].value = this.watermarks.isIdle(p) ? 1 : 0;
    }
    this.emit(w, out);
  }

  private emit(w: number, out: Output<T>): void {
    if (w > this.emitted) {
      this.emitted = w;
      out.watermark(w);
    }
  }
}
