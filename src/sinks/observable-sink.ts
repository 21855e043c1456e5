import type { Observable } from 'rxjs';
import { lazyModule } from '../core/lazy-module.js';
import type { Sink } from '../core/sink.js';

const rxjs = lazyModule<typeof import('rxjs')>('rxjs', 'toObservable()');

/** A sink that is also an Observable of every item written; it completes when the job ends. */
export interface ObservableSink<T> extends Sink<T> {
  readonly observable: Observable<T>;
}

/**
 * Bridges results to RxJS.
 * @example const sink = toObservable(); sink.observable.subscribe(console.log); await stream.to(sink).run();
 */
export function toObservable<T = unknown>(): ObservableSink<T> {
  const { Subject } = rxjs();
  const subject = new Subject<T>();
  return {
    name: 'observable',
    observable: subject.asObservable(),
    write(items: T[]) {
      for (const item of items) subject.next(item);
    },
    close() {
      subject.complete();
    },
  };
}
