import { keyIdentity } from '../core/key-encoding.js';
import type { Window } from '../core/window.js';
import type { Timer } from '../state/timer-heap.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import type { AlignedAssigner, WindowRun } from './types.js';
import { WindowLayout, type WindowContext } from './window-layout.js';
import { newWindowRun } from './window-run.js';
import type { WindowState } from './window-state.js';
import {
  ALIGNED_PREFIX,
  alignedKeyOf,
  alignedStateKey,
  decodeAligned,
  legacyW1Layout,
  restorePanes,
  storeWindow,
  type RestoredWindow,
} from './window-state-layout.js';
import { ON_TIME } from './window-timers.js';

/** All keys' states of one aligned window: they fire and expire together. */
export interface Bucket {
  readonly start: number;
  readonly end: number;
  /** Shared by the results of every key in this window. */
  readonly window: Window;
  readonly states: Map<unknown, WindowState>;
  alive: boolean;
  /** Another window with the same start and a different end (calendar windows in a DST gap). */
  next: Bucket | undefined;
}

/**
 * The aligned layout: windows that depend only on a record's time (tumbling, hopping, global),
 * kept as one bucket per window holding every key's state, so that a window fires and expires for
 * all its keys at once, and its memory goes with it (one map per window, dropped when it expires,
 * is far cheaper than one map of every (key, window) that only grows).
 *
 * A record asks the assigner for its windows only when its time lies outside the previous
 * record's run (`WindowRun`), and reuses the buckets found for that run: records close in time,
 * the usual case, cost one map lookup per window.
 * @example new AlignedWindows(context, tumbling('5m'))
 */
export class AlignedWindows extends WindowLayout {
  private readonly buckets = new Map<number, Bucket>();
  /** The windows of the last assigned time, valid for times in [run.from, run.until), and their buckets. */
  private readonly run: WindowRun = newWindowRun();
  private readonly runBuckets: Array<Bucket | undefined> = [];
  /** Windows of the current record that expired (the first `lateCount`): its late records, sent once it was added to the others. */
  private readonly lateWindows: number[] = [];
  private lateCount = 0;

  constructor(
    c: WindowContext,
    private readonly assigner: AlignedAssigner,
  ) {
    super(c);
  }

  registerState(state: KeyedStateService): void {
    this.windows = state.entries<WindowState, RestoredWindow>({
      prefix: ALIGNED_PREFIX,
      keyOf: alignedKeyOf,
      valueOf: storeWindow,
      forEach: (visit) => this.forEachWindow(visit),
      decode: decodeAligned,
      restore: (r) => this.restoreWindow(r),
    });
    state.legacy(legacyW1Layout(alignedStateKey));
  }

  add(key: unknown, kid: unknown, t: number, value: unknown): void {
    const run = this.run;
    if (!(t >= run.from && t < run.until)) {
      this.assigner.windowRun(t, run);
      const buckets = this.runBuckets;
      if (buckets.length !== run.windows.length) buckets.length = run.windows.length;
      buckets.fill(undefined);
    }
    const windows = run.windows;
    const buckets = this.runBuckets;
    const c = this.c;
    // Late windows are sent after the adds: a record the aggregator rejects is only a dead letter.
    this.lateCount = 0;
    for (let w = 0; w < windows.length; w++) {
      let bucket = buckets[w];
      if (bucket === undefined || !bucket.alive) {
        bucket = this.bucketFor(windows[w]);
        buckets[w] = bucket;
        if (bucket === undefined) {
          this.lateWindows[this.lateCount++] = w;
          continue;
        }
      }
      let ws = this.stateOf(bucket, key, kid);
      if (ws === undefined) {
        const acc = c.agg.add(c.agg.create(), value);
        ws = this.newState(key, kid, bucket.start, bucket.end, acc, 0);
        ws.window = bucket.window;
        this.addState(bucket, ws);
      } else {
        ws.acc = c.agg.add(ws.acc, value);
      }
      this.added(ws, 1);
    }
    if (this.lateCount > 0) this.sendLate(value);
  }

  /** Sends the record to the late output once per expired window, in start order. */
  private sendLate(value: unknown): void {
    const windows = this.run.windows;
    for (let i = 0; i < this.lateCount; i++) {
      const w = windows[this.lateWindows[i]];
      this.c.panes.late(value, w.start, w.end, this.c.watermark);
    }
    this.lateCount = 0;
  }

  /** The live bucket of `window`, created if new; undefined when it expired. */
  private bucketFor(window: { start: number; end: number }): Bucket | undefined {
    const { start, end } = window;
    const bucket = this.findBucket(start, end);
    if (bucket !== undefined) return bucket;
    if (this.c.watermark >= end - 1 + this.c.lateness) return undefined;
    return this.addBucket(start, end);
  }

  private findBucket(start: number, end: number): Bucket | undefined {
    let bucket = this.buckets.get(start);
    while (bucket !== undefined && bucket.end !== end) bucket = bucket.next;
    return bucket;
  }

  private addBucket(start: number, end: number): Bucket {
    const bucket = this.newBucket(start, end);
    this.buckets.set(start, bucket);
    this.c.timers.window(end - 1, end - 1 + this.c.lateness, bucket, this.c.watermark);
    return bucket;
  }

  /** A new, empty window `[start, end)`, chained before the windows with the same start. */
  protected newBucket(start: number, end: number): Bucket {
    return { start, end, window: Object.freeze({ start, end }), states: new Map(), alive: true, next: this.buckets.get(start) };
  }

  /** The live window `[start, end)`, made (with its timers) when there is none: a restore. */
  protected restoreBucket(start: number, end: number): Bucket {
    return this.findBucket(start, end) ?? this.addBucket(start, end);
  }

  /** The state of key `kid` in `bucket`; undefined when it has none. */
  protected stateOf(bucket: Bucket, _key: unknown, kid: unknown): WindowState | undefined {
    return bucket.states.get(kid);
  }

  /** Adds a new key's state to `bucket`. */
  protected addState(bucket: Bucket, ws: WindowState): void {
    bucket.states.set(ws.kid, ws);
  }

  /** Every key's state in `bucket`, in the order the keys came. */
  protected statesOf(bucket: Bucket): Iterable<WindowState> {
    return bucket.states.values();
  }

  /** Visits every live window. */
  protected forEachBucket(visit: (bucket: Bucket) => void): void {
    for (const head of this.buckets.values()) for (let b: Bucket | undefined = head; b !== undefined; b = b.next) visit(b);
  }

  /** The watermark reached the end of `bucket`: every key's on-time pane, pausing after each `step` results. */
  private *onTimeStates(bucket: Bucket, step: number): Generator<void, void, undefined> {
    const panes = this.c.panes;
    for (const ws of this.statesOf(bucket)) {
      this.onTime(ws);
      if (panes.size >= step) yield;
    }
  }

  /**
   * The watermark passed the end of `bucket` plus the allowed lateness: fire what is pending and
   * drop its states, pausing after each `step` results.
   */
  protected *expireStates(bucket: Bucket, step: number): Generator<void, void, undefined> {
    if (this.windows.tracking || !this.c.trigger.expiresEmpty) {
      const panes = this.c.panes;
      for (const ws of this.statesOf(bucket)) {
        this.fire(ws);
        this.drop(ws);
        if (panes.size >= step) yield;
      }
    } else {
      // Nothing to fire and nothing to record: the states go with their bucket.
      this.c.live -= bucket.states.size;
    }
  }

  private removeBucket(bucket: Bucket): void {
    bucket.alive = false;
    let head = this.buckets.get(bucket.start);
    if (head === bucket) {
      if (bucket.next === undefined) this.buckets.delete(bucket.start);
      else this.buckets.set(bucket.start, bucket.next);
      return;
    }
    while (head !== undefined && head.next !== bucket) head = head.next;
    if (head !== undefined) head.next = bucket.next;
  }

  /** A window's timer fires every key of the window: one timer may be many steps of results. */
  override *runDue(watermark: number, step: number): Generator<void, void, undefined> {
    const timers = this.c.timers;
    for (let timer = timers.nextDue(watermark); timer !== undefined; timer = timers.nextDue(watermark)) yield* this.timerSteps(timer, step);
  }

  runTimer(timer: Timer<object>): void {
    const steps = this.timerSteps(timer, Infinity);
    while (steps.next().done !== true);
  }

  private *timerSteps(timer: Timer<object>, step: number): Generator<void, void, undefined> {
    const bucket = timer.ref as Bucket;
    if (!bucket.alive) return;
    if (timer.kind === ON_TIME) {
      yield* this.onTimeStates(bucket, step);
      return;
    }
    yield* this.expireStates(bucket, step);
    this.removeBucket(bucket);
  }

  forEachWindow(visit: (ws: WindowState) => void): void {
    for (const head of this.buckets.values()) {
      for (let b: Bucket | undefined = head; b !== undefined; b = b.next) for (const ws of b.states.values()) visit(ws);
    }
  }

  forEachWindowOf(kid: unknown, visit: (ws: WindowState) => void): void {
    for (const head of this.buckets.values()) {
      for (let b: Bucket | undefined = head; b !== undefined; b = b.next) {
        const ws = b.states.get(kid);
        if (ws !== undefined) visit(ws);
      }
    }
  }

  private restoreWindow(r: RestoredWindow): WindowState {
    const ws = this.newState(r.key, keyIdentity(r.key), r.start, r.end, r.stored.a, r.stored.p);
    restorePanes(ws, r);
    const bucket = this.restoreBucket(r.start, r.end);
    ws.window = bucket.window;
    bucket.states.set(ws.kid, ws);
    return ws;
  }

  clear(): void {
    this.buckets.clear();
    this.run.from = NaN;
    this.run.until = NaN;
  }
}
