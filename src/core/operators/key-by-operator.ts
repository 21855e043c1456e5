import { compactBatch, type Batch } from '../batch.js';
import type { Operator, OperatorContext, Output } from '../operator.js';
import { applyToEach } from './map-operator.js';

/** `keyBy`: computes each record's key; windows and state are then per key. */
export class KeyByOperator<T, K> implements Operator<T, T> {
  readonly name = 'keyBy';
  private uid = 'keyBy';

  constructor(private readonly keyOf: (value: T) => K) {}

  open(ctx: OperatorContext): void {
    this.uid = ctx.uid;
  }

  processBatch(batch: Batch<T>, out: Output<T>): void {
    const keyed = applyToEach(batch, this.keyOf, out, this.uid);
    if (!keyed) return;
    const result: Batch<T> = { ...batch, keys: keyed.results };
    out.emit(keyed.keep ? compactBatch(result, keyed.keep, keyed.kept) : result);
  }
}
