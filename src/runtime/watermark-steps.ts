import { DEFAULT_WATERMARK_STEP } from '../core/operator.js';

/**
 * Results an operator emits at most in one step of a watermark (`OperatorContext.watermarkStep`).
 * Only tests change it, to check that stepping changes nothing but batch boundaries.
 */
let stepSize = DEFAULT_WATERMARK_STEP;

/** The step size graphs made from now on give their operators. */
export function watermarkStepSize(): number {
  return stepSize;
}

/**
 * Sets the step size of graphs made from now on (`Infinity`: a watermark is one step); `undefined`
 * restores the default. For tests only.
 */
export function setWatermarkStepSize(size: number | undefined): void {
  if (size !== undefined && !(size >= 1)) throw new RangeError(`a watermark step must be at least 1 result, got ${size}`);
  stepSize = size ?? DEFAULT_WATERMARK_STEP;
}

/** An operator that stopped in the middle of a watermark, and what waits for it. */
interface PendingWatermark {
  /** Works on the watermark for one more step; true once it is done (and forwarded). */
  resume: () => boolean;
  /** True when the operator can be checkpointed between two steps (`Operator.snapshotsMidWatermark`). */
  checkpointable: () => boolean;
  done: boolean;
  /** Deliveries that come after this watermark is done, in the order they were made. */
  readonly waiting: Array<() => void>;
}

/**
 * The watermark work a graph left unfinished. An operator's `processWatermark` may stop after a
 * step of results (it returned `false`); the runtime drains the graph's outputs and calls
 * `continueWatermark` later. Until it finishes, every delivery anywhere in the graph that would
 * have run after it (a batch, a watermark, results leaving the graph) waits here, in the order it
 * was made, and runs once it finished: each operator and sink sees the same sequence as when the
 * watermark ran in one call, so results, their ids and order are the same.
 *
 * Stopped watermarks nest: one reaching an operator while another one's step runs may stop too
 * (the window after a window). It goes on top and is finished first, as one call would have done.
 * A delivery is deferred whenever the top watermark is not the one whose step is running.
 * @example
 * if (steps.blocked) steps.defer(() => deliver(batch));
 * else deliver(batch);
 * while (steps.pending) { steps.step(); await drain(); }
 */
export class WatermarkSteps {
  private readonly stack: PendingWatermark[] = [];
  /** The watermark whose step (or whose waiting deliveries) runs now; `undefined` outside any. */
  private active: PendingWatermark | undefined;

  /** True while some operator has a watermark to finish. */
  get pending(): boolean {
    return this.stack.length > 0;
  }

  /** True when a delivery made now must wait: a watermark stopped and it is not the running one. */
  get blocked(): boolean {
    const top = this.stack.length;
    return top > 0 && this.stack[top - 1] !== this.active;
  }

  /** Keeps `delivery` until the watermark on top is done. */
  defer(delivery: () => void): void {
    this.stack[this.stack.length - 1].waiting.push(delivery);
  }

  /** An operator stopped in the middle of a watermark; `resume` continues it. */
  stopped(resume: () => boolean, checkpointable: () => boolean = () => false): void {
    this.stack.push({ resume, done: false, waiting: [], checkpointable });
  }

  /**
   * True when a checkpoint may be taken now although a watermark is pending: between two of its
   * steps, it is the only one, nothing waits for it (a delivery waiting would have to be part of
   * the checkpoint), and its operator can be checkpointed there. Its restore finishes the
   * watermark first, then goes on as if it had not stopped.
   */
  get checkpointable(): boolean {
    if (this.stack.length !== 1 || this.active !== undefined) return false;
    const only = this.stack[0];
    return !only.done && only.waiting.length === 0 && only.checkpointable();
  }

  /**
   * Runs one step of the watermark on top; once one is done, runs what waited for it, until a
   * watermark stops again or nothing is left.
   */
  step(): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) return;
    if (!top.done) {
      top.done = this.within(top, top.resume);
      // Not done, or done after a later watermark stopped in its step: that one goes first.
      if (!top.done || this.stack[this.stack.length - 1] !== top) return;
    }
    this.unwind();
  }

  /** Pops the done watermarks on top and runs what waited for each, until one stops again. */
  private unwind(): void {
    for (let top = this.stack[this.stack.length - 1]; top?.done; top = this.stack[this.stack.length - 1]) {
      this.stack.pop();
      // What waited is the rest of the work of the watermark below (or of none at the bottom).
      const below = this.stack[this.stack.length - 1];
      const waiting = top.waiting;
      for (let i = 0; i < waiting.length; i++) {
        const depth = this.stack.length;
        this.within(below, waiting[i]);
        if (this.stack.length > depth) {
          // A watermark stopped: the rest waits for it, after what its own step deferred.
          const stoppedNow = this.stack[this.stack.length - 1];
          for (let j = i + 1; j < waiting.length; j++) stoppedNow.waiting.push(waiting[j]);
          return;
        }
      }
    }
  }

  private within<T>(frame: PendingWatermark | undefined, run: () => T): T {
    const outer = this.active;
    this.active = frame;
    try {
      return run();
    } finally {
      this.active = outer;
    }
  }
}
