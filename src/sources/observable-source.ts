import type { Observable, Subscription } from 'rxjs';
import { batchOf } from '../core/batch.js';
import { StreamkitError } from '../core/errors.js';
import type { Source, SourceContext, SourcePoll } from '../core/source.js';

/**
 * A source over an RxJS Observable; the job ends when it completes. RxJS has no backpressure, so
 * values that arrive faster than the pipeline runs wait in an in-memory buffer.
 * @example from(fromObservable(interval(10).pipe(map(i => ({ at: i * 10 })))))
 */
export function fromObservable<T>(observable: Observable<T>): Source<T> {
  if (!observable || typeof (observable as Observable<T>).subscribe !== 'function') {
    throw new TypeError('fromObservable(observable): expected an RxJS Observable (an object with subscribe)');
  }
  let buffer: T[] = [];
  let completed = false;
  let failure: unknown;
  let consumed = 0;
  let batchSize = 1024;
  let subscription: Subscription | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const take = (): SourcePoll<T> => {
    if (failure !== undefined) {
      throw new StreamkitError('SOURCE_FAILED', 'the observable source errored', { cause: failure });
    }
    if (buffer.length === 0) return { kind: 'end' };
    const values = buffer.length <= batchSize ? buffer : buffer.slice(0, batchSize);
    buffer = buffer.length <= batchSize ? [] : buffer.slice(batchSize);
    const from = consumed;
    consumed += values.length;
    return { kind: 'batch', batch: batchOf(values, 0, from) };
  };

  return {
    name: 'observable',
    partitions: () => [0],
    open(ctx: SourceContext) {
      batchSize = ctx.batchSize;
      subscription = observable.subscribe({
        next: (value) => {
          buffer.push(value);
          notify();
        },
        error: (error) => {
          failure = error;
          notify();
        },
        complete: () => {
          completed = true;
          notify();
        },
      });
    },
    poll() {
      if (buffer.length > 0 || completed || failure !== undefined) return take();
      return new Promise<SourcePoll<T>>((resolve, reject) => {
        wake = () => {
          try {
            resolve(take());
          } catch (error) {
            reject(error);
          }
        };
      });
    },
    position: () => consumed,
    close() {
      subscription?.unsubscribe();
    },
  };
}
