import type { Sink } from '../core/sink.js';

/** A sink that keeps everything in `items`: tests, examples, small jobs. */
export interface ArraySink<T> extends Sink<T> {
  readonly items: T[];
}

/**
 * Collects results into an array. A sink is made apart from the stream it joins, so it cannot
 * learn the stream's type: give it (`toArray<LateRecord<Trip>>()`), or it holds `unknown` items
 * that must be narrowed before use, never `any`. To run a stream and get its results typed, call
 * `stream.collect()`.
 * @example const late = toArray<LateRecord<Trip>>(); await stream.late(late).to(out).run(); console.log(late.items);
 * @see Stream.collect
 */
export function toArray<T = unknown>(): ArraySink<T> {
  const items: T[] = [];
  return {
    name: 'array',
    items,
    write(batch: T[]) {
      for (const item of batch) items.push(item);
    },
  };
}
