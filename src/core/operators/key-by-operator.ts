import { compactBatch, type Batch } from '../batch.js';
import type { Operator, OperatorContext, Output } from '../operator.js';
import { userFailure } from './map-operator.js';

/** `keyBy`: computes each record's key; windows and state are then per key. */
export class KeyByOperator<T, K> implements Operator<T, T> {
  readonly name = 'keyBy';
  private uid = 'keyBy';

  constructor(private readonly keyOf: (value: T) => K) {}

  open(ctx: OperatorContext): void {
    this.uid = ctx.uid;
  }

  processBatch(batch: Batch<T>, out: Output<T>): void {
    const { values } = batch;
    const n = values.length;
    const keys = new Array<unknown>(n);
    let keep: Uint8Array | undefined;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      try {
        keys[i] = this.keyOf(values[i]);
        if (keep) keep[i] = 1;
        kept++;
      } catch (error) {
        if (!keep) keep = new Uint8Array(n).fill(1, 0, i);
        out.deadLetter(userFailure(this.uid, error, values[i], batch, i));
      }
    }
    if (kept === 0) return;
    const keyed = { ...batch, keys };
    out.emit(keep ? compactBatch(keyed, keep, kept) : keyed);
  }
}
