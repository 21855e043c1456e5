import { TimerHeap, type Timer } from '../state/timer-heap.js';
import type { WindowState } from './window-state.js';

/** Timer kinds, in the order ties at one time run. */
export const ON_TIME = 0;
export const EXPIRE = 1;
export const PRUNE = 2;

/**
 * The window operator's timers, on the one {@link TimerHeap}: event-time timers (a window's
 * on-time pane when the watermark reaches its end, its expiry when the watermark passes its end
 * plus the allowed lateness, a sliding key's timestamps to forget) and processing-time deadlines
 * of pending panes. A timer refers to a layout's object (a bucket of aligned windows, a window
 * state, a sliding key); one that became stale (merged away, already fired) is skipped by the
 * layout that runs it.
 * @example
 * timers.window(ws.end - 1, ws.end - 1 + lateness, ws, watermark);
 * for (let t = timers.nextDue(watermark); t; t = timers.nextDue(watermark)) layout.runTimer(t);
 */
export class WindowTimers {
  private readonly eventTime = new TimerHeap<object>();
  private readonly processingTime = new TimerHeap<WindowState>();

  /** @param onTime whether windows fire an on-time pane when the watermark reaches their end. */
  constructor(private readonly onTime: boolean) {}

  /**
   * Registers a window's timers: its on-time pane at `maxTs` (unless the watermark is already
   * there) and its expiry at `expiry`.
   */
  window(maxTs: number, expiry: number, ref: object, watermark: number): void {
    if (this.onTime && watermark < maxTs) this.eventTime.push(maxTs, ON_TIME, ref);
    this.eventTime.push(expiry, EXPIRE, ref);
  }

  /** Registers an event-time timer of `kind` again, at `time` (a session's bounds moved). */
  again(time: number, kind: number, ref: object): void {
    this.eventTime.push(time, kind, ref);
  }

  /** Registers a prune of a sliding key's timestamps at `time`. */
  prune(time: number, ref: object): void {
    this.eventTime.push(time, PRUNE, ref);
  }

  /** The next event-time timer due at `watermark`, removed from the queue; undefined when none is. */
  nextDue(watermark: number): Timer<object> | undefined {
    return this.eventTime.peekTime() <= watermark ? this.eventTime.pop() : undefined;
  }

  /** Sets the processing-time deadline of the pending pane of `ws`. */
  deadline(ws: WindowState, time: number): void {
    ws.deadline = time;
    this.processingTime.push(time, 0, ws);
  }

  /** The next processing-time deadline passed at `now`, removed from the queue. */
  nextDeadline(now: number): Timer<WindowState> | undefined {
    return this.processingTime.peekTime() <= now ? this.processingTime.pop() : undefined;
  }

  clear(): void {
    this.eventTime.clear();
    this.processingTime.clear();
  }
}
