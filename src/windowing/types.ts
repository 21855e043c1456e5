import type { Duration } from '../core/duration.js';
import type { Window } from '../core/window.js';

/**
 * Decides which windows a record belongs to. Assigners are immutable values made by factories
 * (`tumbling`, `hopping`, `sliding`, `session`, `global`); the window operator drives them, and
 * learns from their typed members everything it needs: which layout keeps their windows
 * (`layout`), whether the watermark can close them (`closesOnWatermark`), and, for aligned
 * assigners, their windows as a reusable run (`windowRun`).
 */
export interface WindowAssigner {
  readonly kind: 'tumbling' | 'hopping' | 'sliding' | 'session' | 'global';
  /**
   * Windows a record at event time `t` belongs to, in ascending start order. For `session` this is
   * the record's own `[t, t + gap)` before merging; for `sliding` the windows depend on the other
   * records of the key, so the operator computes them (`sliding-window-starts.ts`) and this returns
   * the record's own window `[t - size + 1, t + 1)`.
   */
  assignWindows(t: number): Window[];
  /** True for session windows: windows that overlap or touch merge. */
  readonly merging: boolean;
  /** Window length in ms (session: the gap; global: Infinity). */
  readonly size: number;
  /** Human description for errors and docs, e.g. `tumbling(5m)`; also what a checkpoint's window state was written for. */
  readonly description: string;
  /**
   * How the window operator keeps these windows: `aligned` (a record's windows depend only on its
   * time: tumbling, hopping, global; all keys of one window fire together), `merging` (sessions,
   * per key) or `sliding` (per key and time).
   */
  readonly layout: 'aligned' | 'merging' | 'sliding';
  /** False when the watermark never reaches the windows' end before the end of input (`global()`). */
  readonly closesOnWatermark: boolean;
}

/**
 * The windows of an aligned assigner at one time, and the times that have exactly these windows:
 * every `t` in `[from, until)`. The window operator keeps one run per operator and asks the
 * assigner to refill it only for a time outside it, so records close in time (the usual case)
 * skip the assigner, and the run's window objects are reused rather than allocated per record.
 */
export interface WindowRun {
  /** Ascending by start; owned by the run's holder and overwritten by the next `windowRun`. */
  readonly windows: Array<{ start: number; end: number }>;
  from: number;
  until: number;
}

/** An assigner whose windows depend only on a record's time (tumbling, hopping, global). */
export interface AlignedAssigner extends WindowAssigner {
  readonly layout: 'aligned';
  /**
   * Fills `run` with the windows of `t` (as `assignWindows(t)` gives them) and the span of times
   * that share exactly these windows, reusing the run's window objects.
   */
  windowRun(t: number, run: WindowRun): void;
}

/** When a window emits a pane. Triggers are values; the window operator interprets them. */
export type Trigger = WatermarkTrigger | CountTrigger | ProcessingTimeTrigger;

/** Fires the on-time pane when the watermark passes the window's end (the default). */
export interface WatermarkTrigger {
  readonly kind: 'watermark';
  /** Speculative panes before the watermark. */
  readonly early?: CountTrigger | ProcessingTimeTrigger;
  /** Late panes; absent means one late pane per late record. */
  readonly late?: CountTrigger | ProcessingTimeTrigger;
}

/** Fires every `count` records added to a window. */
export interface CountTrigger {
  readonly kind: 'count';
  readonly count: number;
}

/** Fires every `interval` ms of processing time while a window has unfired records. */
export interface ProcessingTimeTrigger {
  readonly kind: 'processing-time';
  readonly interval: number;
}

/** How successive panes of one window relate. */
export type AccumulationMode = 'accumulating' | 'discarding' | 'retracting';

/**
 * An aggregate function over the records of a window. Accumulators must be structured-cloneable
 * (plain objects, arrays, numbers, strings, Maps): they are stored in checkpoints.
 * `add` and `merge` may mutate and return their first argument.
 */
export interface Aggregator<T = any, A = any, R = any> {
  /**
   * The aggregator's name, recorded in checkpoints with `version`: a restore refuses accumulators
   * that another aggregator wrote. The built-ins have one (`count`, `sum`…). Give yours a name and
   * bump `version` whenever its accumulator changes; without one, only the shape of `create()`'s
   * result is compared.
   */
  readonly name?: string;
  /** The version of the accumulator kept under `name`, a positive integer (default: none). */
  readonly version?: number;
  create(): A;
  add(acc: A, value: T): A;
  merge(a: A, b: A): A;
  result(acc: A): R;
  /** Removes a value previously added (optional; used where a record leaves a window). */
  retract?(acc: A, value: T): A;
}

/** Options of `.window(assigner, options)`. */
export interface WindowOptions {
  trigger?: Trigger;
  /** How long after the on-time pane a window still accepts late records (default 0). */
  allowedLateness?: Duration;
  mode?: AccumulationMode;
}
