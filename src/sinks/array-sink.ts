import type { Sink } from '../core/sink.js';

/** A sink that keeps everything in `items`: tests, examples, small jobs. */
export interface ArraySink<T> extends Sink<T> {
  readonly items: T[];
}

/**
 * Collects results into an array.
 * @example const out = toArray(); await stream.to(out).run(); console.log(out.items);
 */
export function toArray<T = any>(): ArraySink<T> {
  const items: T[] = [];
  return {
    name: 'array',
    items,
    write(batch: T[]) {
      for (const item of batch) items.push(item);
    },
  };
}
