import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** Hears, after each full garbage collection, the share of the heap limit that live objects fill. */
export type HeapListener = (liveShare: number) => void;

/** Starts calling a listener after full collections; returns the function that stops it. */
export type HeapWatch = (listener: HeapListener) => () => void;

/**
 * Watches V8's full (mark-compact) collections: right after one, `used_heap_size` is about what
 * is live, so its share of `heap_size_limit` says how close the process is to running out of heap
 * (`--max-old-space-size`), whatever the estimates of what it holds say.
 * @example
 * const stop = fullCollections((share) => share > 0.55 && shrink());
 */
export const fullCollections: HeapWatch = (listener) => {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      const heap = getHeapStatistics();
      listener(heap.used_heap_size / heap.heap_size_limit);
      return;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
};
