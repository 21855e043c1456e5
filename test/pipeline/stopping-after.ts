import type { Source } from '../../src/core/source.js';

/**
 * `source`, raising `stop` at its `after`-th poll (never when `after` is undefined): run with
 * `{ signal: stop.signal }`, the job stops gracefully after that batch, at a point a test chooses.
 */
export function stoppingAfter<T>(source: Source<T>, after: number | undefined, stop: AbortController): Source<T> {
  let polls = 0;
  return {
    ...source,
    partitions: () => source.partitions(),
    open: (ctx) => source.open(ctx),
    poll: () => {
      if (after !== undefined && ++polls === after) stop.abort();
      return source.poll();
    },
    position: () => source.position(),
  };
}
