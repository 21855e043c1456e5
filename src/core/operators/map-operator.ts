import type { Batch } from '../batch.js';
import { rejectionReason } from '../errors.js';
import type { Operator, OperatorContext, Output } from '../operator.js';
import { compactBatch } from '../batch.js';

/** `map`: one output per record. A record whose function throws goes to dead letters. */
export class MapOperator<I, O> implements Operator<I, O> {
  readonly name = 'map';
  private uid = 'map';

  constructor(private readonly fn: (value: I) => O) {}

  open(ctx: OperatorContext): void {
    this.uid = ctx.uid;
  }

  processBatch(batch: Batch<I>, out: Output<O>): void {
    const mapped = applyToEach(batch, this.fn, out, this.uid);
    if (!mapped) return;
    const result = { ...batch, values: mapped.results } as unknown as Batch<O>;
    out.emit(mapped.keep ? compactBatch(result, mapped.keep, mapped.kept) : result);
  }
}

/**
 * Calls `fn` on every record. A throw sends that record to dead letters; `keep` (absent when every
 * record succeeded) flags the records whose results are valid. Undefined when none succeeded.
 */
export function applyToEach<I, R>(
  batch: Batch<I>,
  fn: (value: I) => R,
  out: Output<unknown>,
  uid: string,
): { results: R[]; keep?: Uint8Array; kept: number } | undefined {
  const { values } = batch;
  const n = values.length;
  const results = new Array<R>(n);
  let keep: Uint8Array | undefined;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    try {
      results[i] = fn(values[i]);
      if (keep) keep[i] = 1;
      kept++;
    } catch (error) {
      if (!keep) keep = new Uint8Array(n).fill(1, 0, i);
      out.deadLetter(userFailure(uid, error, values[i], batch, i));
    }
  }
  return kept === 0 ? undefined : { results, keep, kept };
}

/** A dead letter for a record whose user function threw, naming the operator and the position. */
export function userFailure(uid: string, error: unknown, raw: unknown, batch: Batch<unknown>, index: number) {
  return {
    reason: rejectionReason(error, uid),
    raw,
    position: { partition: batch.partition, offset: batch.positions[index] },
    operator: uid,
  };
}
