import type { Batch } from '../core/batch.js';
import { StateError, describeError } from '../core/errors.js';
import { keyIdentity } from '../core/key-encoding.js';
import type { StateCell } from '../core/keyed-state.js';
import { DEFAULT_WATERMARK_STEP, type Operator, type OperatorContext, type Output, type StateWriter } from '../core/operator.js';
import type { ResidentState } from '../core/resident-state.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import type { WindowResult } from '../core/window.js';
import { keyedState, type KeyedStateService } from '../state/keyed-state-service.js';
import { AlignedWindows } from './aligned-windows.js';
import { PaneEmitter } from './pane-emitter.js';
import { ResidentAlignedWindows } from './resident-aligned-windows.js';
import { ResidentSessionWindows } from './resident-session-windows.js';
import { ResidentSlidingWindows } from './resident-sliding-windows.js';
import { RESIDENT_META_KEY, RESIDENT_WINDOW_PREFIX, type ResidentWindowLayout } from './resident-window-layout.js';
import { SessionWindows } from './session-windows.js';
import { SlidingWindows } from './sliding-windows.js';
import { TriggerPolicy } from './trigger-policy.js';
import type { AlignedAssigner, Aggregator, WindowAssigner } from './types.js';
import { RejectedRecord, WindowAggregator } from './window-aggregator.js';
import type { WindowContext, WindowLayout } from './window-layout.js';
import { checkWindowOptions, type WindowConfig, type WindowOperatorOptions } from './window-operator-options.js';
import type { WindowState } from './window-state.js';
import { checkMeta, META_STATE_KEY, WINDOW_STATE_VERSION, type StoredMeta } from './window-state-layout.js';
import { windowStateQuery } from './window-state-query.js';
import { WindowTimers } from './window-timers.js';

export type { WindowOperatorOptions } from './window-operator-options.js';

/**
 * The window operator: assigns keyed, timestamped records to windows, aggregates them
 * incrementally, and emits {@link WindowResult} panes as its trigger decides, following
 * SEMANTICS.md (windows, lateness, triggers, panes, accumulation modes, result ids).
 *
 * Input batches carry `times` (event time, ms) and, after `keyBy`, `keys` (absent: one key, `null`).
 * Output batches carry results with `times[i] = window.end - 1` and no keys; the watermark is
 * forwarded after everything it made due has fired. `+Infinity` ends the input: every window fires
 * what it has not emitted yet and all state is cleared.
 *
 * A record goes to the dead letters, and the job goes on, when its event time is not a safe
 * integer, when its key cannot be a key (`encodeKey`), or when the aggregator's `add` throws on it.
 *
 * @param options `assigner` plus `trigger` (default `onWatermark()`), `allowedLateness` (default 0)
 *   and `mode` (default `'accumulating'`).
 * @param aggregator what to compute per window.
 * @throws TypeError / RangeError naming the option when the configuration cannot work, e.g.
 *   `global()` with the watermark trigger.
 * @example
 * const op = windowOperator({ assigner: tumbling('5m'), allowedLateness: '10m' }, count());
 * @see onWatermark
 * @see afterCount
 * @see afterProcessingTime
 */
export function windowOperator<T = unknown, A = unknown, R = unknown>(
  options: WindowOperatorOptions,
  aggregator: Aggregator<T, A, R>,
): Operator<unknown, WindowResult<unknown, R>> {
  return new WindowOperator<R>(checkWindowOptions(options, aggregator), aggregator as Aggregator);
}

/**
 * Orchestrates the window operator's named roles and owns none of their data: the layout keeps
 * the windows (aligned, session or sliding), the trigger policy decides panes, the pane emitter
 * makes results, the timers say what is due, and the keyed-state service snapshots and restores.
 */
class WindowOperator<R> implements Operator<unknown, WindowResult<unknown, R>> {
  readonly name = 'window';
  private readonly c: WindowContext;
  private layout: WindowLayout;
  private readonly state: KeyedStateService;
  readonly stateQuery: KeyedStateQuery;
  private query: KeyedStateQuery;
  /** The layout and its store when the windows live in the backend's store (see {@link ResidentWindowLayout}). */
  private resident: { layout: ResidentWindowLayout; store: ResidentState } | undefined;
  /** The operator's watermark and what its state was written for (`w2/m`). */
  private readonly progress: StateCell;
  private clock: OperatorContext | undefined;
  /** Restored windows with a pending pane whose processing-time wait restarts at the next tick. */
  private restoredPending: WindowState[] = [];
  /** Results a watermark emits at most in one step (`OperatorContext.watermarkStep`). */
  private step = DEFAULT_WATERMARK_STEP;
  /** The watermark being worked through in steps: its time, and its due timers where they stopped. */
  private firing: { time: number; steps: Generator<void, void, undefined> } | undefined;
  /** Restored from a checkpoint taken between two steps of the watermark `c.watermark`: it is still to finish. */
  private unfinished = false;

  constructor(
    private readonly config: WindowConfig,
    aggregator: Aggregator,
  ) {
    const trigger = new TriggerPolicy(config.trigger);
    this.c = {
      agg: new WindowAggregator(aggregator, 'window'),
      trigger,
      panes: new PaneEmitter<unknown>(),
      timers: new WindowTimers(trigger.firesOnWatermark),
      mode: config.mode,
      lateness: config.lateness,
      watermark: -Infinity,
      live: 0,
      now: () => (this.clock ? this.clock.now() : Date.now()),
    };
    this.layout = layoutFor(this.c, config);
    this.state = keyedState('window', WINDOW_STATE_VERSION);
    this.progress = this.state.cell({
      key: META_STATE_KEY,
      required: true,
      value: () => ({ watermark: this.c.watermark, assigner: config.assigner.description }),
      restore: (value) => this.restoreProgress(value),
    });
    this.layout.registerState(this.state);
    this.query = windowStateQuery(this.layout, this.c.agg);
    this.stateQuery = { get: (key) => this.query.get(key), keys: () => this.query.keys() };
  }

  open(ctx: OperatorContext): void {
    this.clock = ctx;
    this.step = ctx.watermarkStep ?? DEFAULT_WATERMARK_STEP;
    this.c.agg.uid = ctx.uid;
    this.c.panes.open(ctx.uid, ctx.metrics);
    // Windows with event-time and count triggers keep their state on disk; processing-time
    // deadlines are not stored, so windows with processing-time triggers keep theirs in the heap.
    if (!this.c.trigger.usesProcessingTime) {
      const store = ctx.residentState?.();
      if (store) this.openResident(store);
    }
  }

  /** Switches to windows in the backend's store, reading the operator's progress from it (a lazy restore). */
  private openResident(store: ResidentState): void {
    const assigner = this.config.assigner;
    let layout: ResidentWindowLayout & WindowLayout;
    if (assigner.layout === 'merging') layout = new ResidentSessionWindows(this.c, assigner.size, store);
    else if (assigner.layout === 'sliding') layout = new ResidentSlidingWindows(this.c, assigner.size, store);
    else layout = new ResidentAlignedWindows(this.c, assigner as AlignedAssigner, store);
    this.resident = { layout, store };
    this.layout = layout;
    this.query = layout.query(this.c.agg);
    const meta = store.get(RESIDENT_META_KEY) as (StoredMeta & object) | undefined;
    // A heap checkpoint of this operator is refused by the restore (its fingerprint has no
    // `storage=disk`), or by restoreState when the checkpoint recorded no fingerprints.
    if (meta !== undefined) {
      this.restoreProgress(meta);
      layout.restore(meta);
      this.unfinished = meta.unfinished === true;
    }
  }

  processBatch(batch: Batch<unknown>, out: Output<WindowResult<unknown, R>>): void {
    const c = this.c;
    c.panes.out = out as Output<WindowResult<unknown, unknown>>;
    const { values, times, keys } = batch;
    const layout = this.layout;
    const n = values.length;
    for (let i = 0; i < n; i++) {
      const t = times ? times[i] : undefined;
      if (!Number.isSafeInteger(t)) {
        out.deadLetter({
          reason: times
            ? `event time must be a finite integer of epoch ms, got ${describeTime(t)}`
            : 'record has no event time: call withTimestamps(...) before window(...)',
          raw: values[i],
          position: { partition: batch.partition, offset: batch.positions[i] },
          operator: this.name,
        });
        continue;
      }
      if (((t as number) > NEAR_SAFE_EDGE || (t as number) < -NEAR_SAFE_EDGE) && windowsLeaveSafeRange(this.config.assigner, t as number)) {
        this.reject(
          `${c.agg.uid}: event time ${t} is too close to the edge of the safe-integer range: a ${this.config.assigner.description} window holding it would reach beyond ±${Number.MAX_SAFE_INTEGER}, where window bounds cannot be exact`,
          batch,
          i,
          out,
        );
        continue;
      }
      const key = keys ? keys[i] : null;
      let kid: unknown;
      try {
        kid = keyIdentity(key);
      } catch (error) {
        this.reject(`${c.agg.uid}: the record's key cannot be a key: ${describeError(error)}`, batch, i, out);
        continue;
      }
      try {
        layout.add(key, kid, t as number, values[i]);
      } catch (error) {
        if (!(error instanceof RejectedRecord)) throw error;
        this.reject(error.reason, batch, i, out);
      }
    }
    layout.settle();
    c.panes.flush(out as Output<WindowResult<unknown, unknown>>, c.live);
  }

  private reject(reason: string, batch: Batch<unknown>, i: number, out: Output<unknown>): void {
    out.deadLetter({
      reason,
      raw: batch.values[i],
      position: { partition: batch.partition, offset: batch.positions[i] },
      operator: this.c.agg.uid,
    });
  }

  /**
   * Fires what the watermark made due, a step of results at a time: `false` when results of it
   * wait to be handed on (the runtime calls {@link WindowOperator.continueWatermark} after it
   * drained them). The operator's watermark is the new one from the first step on: nothing
   * reaches the operator before the last step, so no record is judged late against it earlier.
   */
  processWatermark(time: number, out: Output<WindowResult<unknown, R>>): boolean {
    const c = this.c;
    if (this.unfinished && time >= c.watermark) {
      // The restore of a checkpoint taken in the middle of a watermark: its timers still due run now.
      this.unfinished = false;
      if (time === c.watermark) {
        this.firing = { time, steps: this.layout.runDue(time, this.step) };
        return this.continueWatermark(out);
      }
    }
    if (time <= c.watermark) {
      c.panes.flush(out as Output<WindowResult<unknown, unknown>>, c.live);
      out.watermark(time);
      return true;
    }
    c.watermark = time;
    this.progress.changed();
    this.firing = { time, steps: this.layout.runDue(time, this.step) };
    return this.continueWatermark(out);
  }

  /**
   * A checkpoint may come between two steps when the windows are on disk and the layout's steps end
   * between whole timers (sessions, sliding windows): the timers still due are then all in the
   * saved state. An aligned window's timer fires every key of the window, and a step may end in
   * the middle of them.
   */
  snapshotsMidWatermark(): boolean {
    return this.firing !== undefined && this.resident?.layout.stepsEndBetweenTimers === true;
  }

  unfinishedWatermark(): number | undefined {
    return this.unfinished ? this.c.watermark : undefined;
  }

  /** The next step of the watermark `processWatermark` stopped in; `true` when it is done and forwarded. */
  continueWatermark(out: Output<WindowResult<unknown, R>>): boolean {
    const c = this.c;
    const firing = this.firing!;
    c.panes.out = out as Output<WindowResult<unknown, unknown>>;
    const done = firing.steps.next().done === true;
    if (done) {
      this.firing = undefined;
      if (firing.time === Infinity) {
        this.layout.clear();
        c.timers.clear();
        c.live = 0;
      }
    }
    // A resident layout writes back what the step changed: its working set stays one step's.
    this.layout.settle();
    c.panes.flush(out as Output<WindowResult<unknown, unknown>>, c.live);
    if (done) out.watermark(firing.time);
    return done;
  }

  onTick(now: number, out: Output<WindowResult<unknown, R>>): void {
    const c = this.c;
    c.panes.out = out as Output<WindowResult<unknown, unknown>>;
    if (this.restoredPending.length > 0) {
      const restored = this.restoredPending;
      this.restoredPending = [];
      for (const ws of restored) {
        if (!ws.alive || ws.pending === 0 || ws.deadline !== undefined) continue;
        // Deadlines are processing time and are not checkpointed: restart the wait on this clock.
        const interval = c.trigger.processingInterval(ws, c.watermark);
        if (interval !== undefined) c.timers.deadline(ws, now + interval);
      }
    }
    for (let timer = c.timers.nextDeadline(now); timer !== undefined; timer = c.timers.nextDeadline(now)) {
      const ws = timer.ref;
      if (ws.alive && ws.deadline === timer.time && ws.pending > 0) this.layout.fire(ws);
    }
    c.panes.flush(out as Output<WindowResult<unknown, unknown>>, c.live);
  }

  snapshotState(writer: StateWriter, full: boolean): void {
    const resident = this.resident;
    if (resident === undefined) {
      this.state.snapshot(writer, full);
      return;
    }
    // Resident state is written incrementally whatever `full` says: the store knows what changed.
    const meta: StoredMeta = {
      watermark: this.c.watermark,
      assigner: this.config.assigner.description,
      // Taken between two steps of the watermark: a restore finishes it before anything else.
      ...(this.firing === undefined ? {} : { unfinished: true }),
      ...resident.layout.save(),
    };
    resident.store.put(RESIDENT_META_KEY, meta);
    resident.store.snapshot(writer);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    if (this.resident) {
      // The store restores lazily: entries handed here are state the store does not manage.
      for (const [key] of entries) {
        if (!key.startsWith(RESIDENT_WINDOW_PREFIX)) throw layoutMismatch('in the heap', 'on disk');
      }
      return;
    }
    this.state.restore(refuseResident(entries));
    this.layout.afterRestore();
    if (this.c.trigger.usesProcessingTime) {
      this.layout.forEachWindow((ws) => {
        if (ws.pending > 0) this.restoredPending.push(ws);
      });
    }
  }

  private restoreProgress(value: unknown): void {
    const meta = checkMeta(value);
    const description = this.config.assigner.description;
    if (meta.assigner !== description) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `window: the checkpoint was written for ${meta.assigner} windows, this pipeline uses ${description}; use a new state directory or the same windows`,
      );
    }
    this.c.watermark = meta.watermark;
  }
}

/** Refuses a checkpoint whose window state was kept `was` when this run keeps it `now`. */
function layoutMismatch(was: string, now: string): StateError {
  return new StateError(
    'STATE_INCOMPATIBLE',
    `window: the checkpoint keeps this operator's windows ${was}, this run keeps them ${now} ` +
      `(levelState(dir, { memory }) keeps windows on disk; other backends and processing-time triggers keep them in the heap); ` +
      `restore with the state options that wrote the checkpoint, or use a new state directory`,
  );
}

/** A checkpoint's entries, refusing resident window state (the heap layouts cannot read it). */
function* refuseResident(entries: Iterable<[string, unknown]>): Iterable<[string, unknown]> {
  for (const entry of entries) {
    if (entry[0].startsWith(RESIDENT_WINDOW_PREFIX)) throw layoutMismatch('on disk', 'in the heap');
    yield entry;
  }
}

/** The layout that keeps the windows of this assigner. */
function layoutFor(c: WindowContext, config: WindowConfig): WindowLayout {
  const assigner = config.assigner;
  switch (assigner.layout) {
    case 'merging':
      return new SessionWindows(c, assigner.size);
    case 'sliding':
      return new SlidingWindows(c, assigner.size);
    default:
      return new AlignedWindows(c, assigner as AlignedAssigner);
  }
}

/** Beyond ±2^52 a window may end past the safe-integer range; only there are a record's windows checked. */
const NEAR_SAFE_EDGE = 2 ** 52;

/**
 * Whether a window holding a record at `t` would have a bound that is not a safe integer: such a
 * bound is rounded (a session `[t, t + gap)` ending at an odd number past 2^53 would end one ms
 * off), so the record is a dead letter. Global windows span the safe range and take any time.
 */
function windowsLeaveSafeRange(assigner: WindowAssigner, t: number): boolean {
  if (assigner.kind === 'global') return false;
  // Sliding windows of a record lie within [t - size + 1, t + 1 + size).
  if (assigner.layout === 'sliding') return !Number.isSafeInteger(t - assigner.size + 1) || !Number.isSafeInteger(t + 1 + assigner.size);
  return assigner.assignWindows(t).some((w) => !Number.isSafeInteger(w.start) || !Number.isSafeInteger(w.end));
}

function describeTime(t: unknown): string {
  if (typeof t === 'number') return String(t);
  if (t instanceof Date) return `a Date (${String(t)})`;
  return `${typeof t} ${JSON.stringify(t)}`;
}
