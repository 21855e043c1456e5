import type { Batch } from '../batch.js';
import type { Operator, OperatorContext, Output } from '../operator.js';
import { userFailure } from './map-operator.js';

/** `flatMap`: zero or more outputs per record; outputs keep the record's time, key and position. */
export class FlatMapOperator<I, O> implements Operator<I, O> {
  readonly name = 'flatMap';
  private uid = 'flatMap';

  constructor(private readonly fn: (value: I) => Iterable<O>) {}

  open(ctx: OperatorContext): void {
    this.uid = ctx.uid;
  }

  processBatch(batch: Batch<I>, out: Output<O>): void {
    const values: O[] = [];
    const positions: number[] = [];
    const times = batch.times ? ([] as number[]) : undefined;
    const keys = batch.keys ? ([] as unknown[]) : undefined;
    for (let i = 0; i < batch.values.length; i++) {
      let produced: O[];
      try {
        produced = [...this.fn(batch.values[i])];
      } catch (error) {
        out.deadLetter(userFailure(this.uid, error, batch.values[i], batch, i));
        continue;
      }
      for (const value of produced) {
        values.push(value);
        positions.push(batch.positions[i]);
        if (times) times.push(batch.times![i]);
        if (keys) keys.push(batch.keys![i]);
      }
    }
    if (values.length > 0) out.emit({ values, positions, times, keys, partition: batch.partition });
  }
}
