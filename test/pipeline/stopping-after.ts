import type { RunSummary } from '../../src/core/runtime-event.js';
import type { Source } from '../../src/core/source.js';
import type { StateBackend } from '../../src/core/state-backend.js';
import type { Stream } from '../../src/pipeline/stream.js';
import type { RunOptions } from '../../src/runtime/run-options.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { levelState, type LevelStateOptions } from '../../src/state/level-state.js';

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

/** What {@link stopAndResume} ran: the uninterrupted run's results, and both halves of the interrupted one. */
export interface StoppedAndResumed<T> {
  whole: T[];
  /** The results of the stopped run, then of the run restored from its checkpoint. */
  resumed: T[];
  stopped: RunSummary;
  restored: RunSummary;
}

/**
 * Runs the pipeline `make` builds three times: once never stopped; once stopped gracefully at the
 * source's `stopAt`-th poll with `levelState(state)`; and once more from that checkpoint to the end.
 * A restore is exact when `resumed` holds what `whole` holds.
 * @param make builds the pipeline, its source wrapped with {@link stoppingAfter}(source, at, stop).
 * @param checkpointEvery how often the stopped and restored runs checkpoint.
 * @param levelOptions the `levelState` options of both (`{ memory }` for resident state).
 */
export async function stopAndResume<T>(
  make: (at: number | undefined, stop: AbortController) => Stream<T, any>,
  stopAt: number,
  state: string,
  checkpointEvery: RunOptions['checkpointEvery'],
  levelOptions: LevelStateOptions = {},
): Promise<StoppedAndResumed<T>> {
  const whole = toArray<T>();
  await make(undefined, new AbortController()).to(whole).run();
  const first = toArray<T>();
  const stop = new AbortController();
  const stopped = await make(stopAt, stop)
    .to(first)
    .run({ state: levelState(state, levelOptions), checkpointEvery, signal: stop.signal });
  const second = toArray<T>();
  const restored = await make(undefined, new AbortController())
    .to(second)
    .run({ state: levelState(state, levelOptions), checkpointEvery });
  return { whole: whole.items, resumed: [...first.items, ...second.items], stopped, restored };
}

/**
 * Runs `stream` with `state`, a checkpoint every `every` records and one credit, and stops it
 * gracefully as checkpoint `cut` completes (a short input may end first).
 * @returns the results it emitted and its summary (`stopped: true` when the stop came first).
 */
export async function runStoppingAtCheckpoint<T>(
  stream: Stream<T, any>,
  state: StateBackend,
  every: number,
  cut: number,
): Promise<{ items: T[]; summary: RunSummary }> {
  const out = toArray<T>();
  const job = stream.to(out).run({
    state,
    credits: 1,
    checkpointEvery: { records: every },
    onEvent: (e) => e.type === 'checkpoint.completed' && e.id === cut && job.stop(),
  });
  const summary = await job;
  return { items: out.items, summary };
}
