import { compactBatch, type Batch } from '../batch.js';
import type { Operator, OperatorContext, Output } from '../operator.js';
import { userFailure } from './map-operator.js';
import { METRICS } from '../metric-catalogue.js';

/** `filter`: keeps records for which the predicate is truthy; counts what it removes. */
export class FilterOperator<T> implements Operator<T, T> {
  readonly name = 'filter';
  private ctx!: OperatorContext;

  constructor(private readonly predicate: (value: T) => unknown) {}

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
  }

  processBatch(batch: Batch<T>, out: Output<T>): void {
    const { values } = batch;
    const n = values.length;
    const keep = new Uint8Array(n);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      try {
        if (this.predicate(values[i])) {
          keep[i] = 1;
          kept++;
        }
      } catch (error) {
        out.deadLetter(userFailure(this.ctx.uid, error, values[i], batch, i));
      }
    }
    if (kept < n) this.ctx.metrics.inc(METRICS.recordsFiltered, { operator: this.ctx.uid }, n - kept);
    if (kept > 0) out.emit(compactBatch(batch, keep, kept));
  }
}
