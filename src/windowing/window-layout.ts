import type { EntryTable } from '../core/keyed-state.js';
import type { Timer } from '../state/timer-heap.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import type { PaneEmitter } from './pane-emitter.js';
import { TriggerResult, type TriggerPolicy } from './trigger-policy.js';
import type { AccumulationMode } from './types.js';
import type { WindowAggregator } from './window-aggregator.js';
import { newWindowState, type WindowState } from './window-state.js';
import { ON_TIME, type WindowTimers } from './window-timers.js';

/**
 * What the window operator shares with the layout that keeps its windows: the aggregator, the
 * trigger, pane emission, timers, and the operator's event-time progress.
 */
export interface WindowContext {
  readonly agg: WindowAggregator;
  readonly trigger: TriggerPolicy;
  readonly panes: PaneEmitter<unknown>;
  readonly timers: WindowTimers;
  readonly mode: AccumulationMode;
  /** How long after the on-time pane a window still accepts late records, in ms. */
  readonly lateness: number;
  /** The operator's watermark (the layouts read it; the operator advances it). */
  watermark: number;
  /** Live window states, for the `window_state_windows` gauge. */
  live: number;
  /** Processing-time clock. */
  now(): number;
}

/**
 * The shared base of the three window layouts (Kafka Streams' one processor per window kind over
 * one base): {@link AlignedWindows} for tumbling, hopping and global windows, {@link SessionWindows}
 * and {@link SlidingWindows}. A layout owns its windows' data structures and their state tables;
 * this base holds what every layout does to one window state: add a record's contribution, ask the
 * trigger, fire a pane (with the accumulation mode), drop the state.
 */
export abstract class WindowLayout {
  /** The table of this layout's window states (registered by {@link WindowLayout.registerState}). */
  protected windows!: EntryTable<WindowState>;

  constructor(protected readonly c: WindowContext) {}

  /**
   * Adds a record at time `t` (a safe integer) of key `key` (identity `kid`) to its windows, or to
   * the late output for those that expired.
   * @throws RejectedRecord when the aggregator's `add` threw on the record, before anything changed.
   */
  abstract add(key: unknown, kid: unknown, t: number, value: unknown): void;

  /** Runs an event-time timer that is due. */
  abstract runTimer(timer: Timer<object>): void;

  /**
   * Runs every event-time timer due at `watermark`, in order, pausing (a `yield`) whenever `step`
   * results wait to be flushed: the operator hands them on, and the next `next()` goes on where it
   * stopped. Nothing else touches the layout until the last `next()` is done.
   */
  *runDue(watermark: number, step: number): Generator<void, void, undefined> {
    const timers = this.c.timers;
    const panes = this.c.panes;
    for (let timer = timers.nextDue(watermark); timer !== undefined; timer = timers.nextDue(watermark)) {
      this.runTimer(timer);
      if (panes.size >= step) yield;
    }
  }

  /** Ends a batch, watermark or tick: a layout that works on copies of stored state writes them back. */
  settle(): void {}

  /** Visits every live window state. */
  abstract forEachWindow(visit: (ws: WindowState) => void): void;

  /** Visits the live window states of the key whose identity is `kid` (for queries). */
  abstract forEachWindowOf(kid: unknown, visit: (ws: WindowState) => void): void;

  /** Registers this layout's tables (and the reader of the older layout) with the operator's state. */
  abstract registerState(state: KeyedStateService): void;

  /** Forgets everything: the end of input fired every window. */
  abstract clear(): void;

  /** Completes a restore: orders what the checkpoint's key order does not. */
  afterRestore(): void {}

  /** A new window state, counted as live. */
  protected newState(key: unknown, kid: unknown, start: number, end: number, acc: unknown, pending: number): WindowState {
    this.c.live++;
    return newWindowState(key, kid, start, end, acc, pending);
  }

  /** Records that `count` records were added to `ws` (its accumulator already holds them), and applies the trigger. */
  protected added(ws: WindowState, count: number): void {
    ws.pending += count;
    this.windows.changed(ws);
    const c = this.c;
    const decision = c.trigger.onAdd(ws, c.watermark);
    if (decision !== TriggerResult.CONTINUE) this.decided(ws, decision);
  }

  /** Carries out a trigger's decision to fire a window now or when a processing-time deadline passes. */
  private decided(ws: WindowState, decision: TriggerResult): void {
    const c = this.c;
    if (decision === TriggerResult.FIRE) this.fire(ws);
    else c.timers.deadline(ws, c.now() + c.trigger.processingInterval(ws, c.watermark)!);
  }

  /**
   * Emits the pane of `ws` holding what it has not emitted yet (everything so far unless
   * discarding). Timing: early before the watermark reaches the end, then on-time once, then late.
   */
  fire(ws: WindowState): void {
    if (ws.pending === 0) return;
    const c = this.c;
    let timing: 'early' | 'on-time' | 'late';
    if (c.watermark < ws.end - 1) timing = 'early';
    else if (ws.onTimeDone) timing = 'late';
    else {
      timing = 'on-time';
      ws.onTimeDone = true;
    }
    const value = c.agg.result(ws.acc);
    if (c.mode === 'retracting') {
      if (ws.hasLast) c.panes.retraction(ws);
      ws.last = value;
      ws.lastTiming = timing;
      ws.hasLast = true;
    } else if (c.mode === 'discarding') {
      ws.acc = c.agg.create();
    }
    c.panes.pane(ws, value, timing);
    ws.index++;
    ws.pending = 0;
    ws.deadline = undefined;
    this.windows.changed(ws);
  }

  /** The watermark reached the end of `ws`: its on-time pane, or nothing new to emit. */
  protected onTime(ws: WindowState): void {
    this.fire(ws);
    if (!ws.onTimeDone) {
      ws.onTimeDone = true;
      this.windows.changed(ws);
    }
  }

  /** Runs an on-time or expiry timer of one window state. */
  protected windowTimer(kind: number, ws: WindowState): void {
    if (kind === ON_TIME) this.onTime(ws);
    else {
      this.fire(ws);
      this.drop(ws);
    }
  }

  /** The state of `ws` is gone (expired, merged away): no timer fires it again. */
  protected drop(ws: WindowState): void {
    ws.alive = false;
    this.c.live--;
    this.windows.removed(ws);
  }
}
