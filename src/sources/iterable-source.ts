import { batchOf } from '../core/batch.js';
import type { Source, SourceContext, SourcePoll } from '../core/source.js';

export interface IterableSourceOptions {
  /** Records per batch (default: the run's `batchSize`). */
  batchSize?: number;
}

/**
 * A bounded source over a sync or async iterable (a generator, a readline interface…). Its
 * position is the number of records consumed; on restore it skips that many, so the iterable must
 * yield the same sequence again (a file, a seeded generator).
 * @example from(fromIterable(readLines('trips.jsonl')))
 */
export function fromIterable<T>(iterable: Iterable<T> | AsyncIterable<T>, options: IterableSourceOptions = {}): Source<T> {
  const isAsync = typeof (iterable as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
  if (!isAsync && typeof (iterable as Iterable<T>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError('fromIterable(iterable): expected a sync or async iterable');
  }
  let consumed = 0;
  let batchSize = options.batchSize ?? 1024;
  let syncIt: Iterator<T> | undefined;
  let asyncIt: AsyncIterator<T> | undefined;
  let done = false;

  const pollSync = (): SourcePoll<T> => {
    const values: T[] = [];
    while (values.length < batchSize) {
      const r = syncIt!.next();
      if (r.done) {
        done = true;
        break;
      }
      values.push(r.value);
    }
    return emit(values);
  };
  // An async iterable may yield slowly: a batch goes out once it is full or the next record has
  // not come within `linger` ms, so a trickle of records is not held back waiting for a full batch.
  let pending: Promise<IteratorResult<T>> | undefined;
  const pollAsync = async (): Promise<SourcePoll<T>> => {
    const values: T[] = [];
    while (values.length < batchSize) {
      pending ??= asyncIt!.next();
      const r = values.length === 0 ? await pending : await Promise.race([pending, delay(LINGER_MS)]);
      if (r === undefined) break;
      pending = undefined;
      if (r.done) {
        done = true;
        break;
      }
      values.push(r.value);
    }
    return emit(values);
  };
  const emit = (values: T[]): SourcePoll<T> => {
    if (values.length === 0) return { kind: 'end' };
    const from = consumed;
    consumed += values.length;
    return { kind: 'batch', batch: batchOf(values, 0, from) };
  };

  return {
    name: 'iterable',
    partitions: () => [0],
    async open(ctx: SourceContext) {
      batchSize = options.batchSize ?? ctx.batchSize;
      if (isAsync) asyncIt = (iterable as AsyncIterable<T>)[Symbol.asyncIterator]();
      else syncIt = (iterable as Iterable<T>)[Symbol.iterator]();
      const skip = typeof ctx.restoreFrom === 'number' ? ctx.restoreFrom : 0;
      for (let i = 0; i < skip; i++) {
        const r = isAsync ? await asyncIt!.next() : syncIt!.next();
        if (r.done) break;
        consumed++;
      }
    },
    poll() {
      if (done) return { kind: 'end' };
      return isAsync ? pollAsync() : pollSync();
    },
    position: () => consumed,
    async close() {
      if (isAsync) await asyncIt?.return?.();
      else syncIt?.return?.();
    },
  };
}

const LINGER_MS = 5;

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
