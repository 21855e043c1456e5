import { batchOf } from '../core/batch.js';
import type { Source, SourceContext, SourcePoll } from '../core/source.js';

export interface ArraySourceOptions {
  /** Records per batch (default: the run's `batchSize`). The watermark advances after each batch. */
  batchSize?: number;
}

/**
 * A bounded source over an array; its position is the index of the next record, so a restored job
 * resumes exactly where its checkpoint was taken.
 * @example from(fromArray([{ at: 1, v: 2 }], { batchSize: 1 }))
 */
export function fromArray<T>(items: readonly T[], options: ArraySourceOptions = {}): Source<T> {
  if (!Array.isArray(items)) throw new TypeError('fromArray(items): items must be an array');
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new RangeError(`fromArray: batchSize must be a positive integer, got ${options.batchSize}`);
  }
  let next = 0;
  let batchSize = options.batchSize ?? 1024;
  return {
    name: 'array',
    partitions: () => [0],
    open(ctx: SourceContext) {
      batchSize = options.batchSize ?? ctx.batchSize;
      next = typeof ctx.restoreFrom === 'number' ? ctx.restoreFrom : 0;
    },
    poll(): SourcePoll<T> {
      if (next >= items.length) return { kind: 'end' };
      const from = next;
      next = Math.min(items.length, next + batchSize);
      return { kind: 'batch', batch: batchOf(items.slice(from, next), 0, from) };
    },
    position: () => next,
  };
}
