import { StreamkitError } from '../core/errors.js';
import { listenForStopSignals } from './stop-signals.js';

/**
 * The stop of one job: requested once (`stop()`, `run({ signal })`, a process signal), bounded by
 * a deadline (`stopTimeout`), and abandoned when the deadline passes or a second process signal
 * arrives. A requested stop raises `signal`, which the run loop checks between batches and the
 * source sees; an abandoned stop rejects `abandoned`, so the job rejects even while a sink call it
 * waits on never returns.
 */
export class GracefulStop {
  private readonly controller = new AbortController();
  /** Why the stop was requested: `'stop()'`, `'abort signal'` or a process signal's name. */
  private why: string | undefined;
  private deadline: { timeoutMs: number; expired: () => void } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;
  private rejectAbandoned!: (error: unknown) => void;
  private readonly requestListeners: Array<(reason: string) => void> = [];
  private readonly abandonListeners: Array<(error: unknown) => void> = [];
  private readonly endListeners: Array<() => void> = [];

  /** Rejects with the reason the stop was abandoned; never resolves. */
  readonly abandoned: Promise<never>;

  constructor() {
    this.abandoned = new Promise<never>((_, reject) => (this.rejectAbandoned = reject));
    // Raced against the job by whoever runs it; a stop abandoned after that is no unhandled rejection.
    this.abandoned.catch(() => undefined);
  }

  /** Raised when a stop is requested. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs `listener` at the stop request (at once if it was requested already). */
  onRequest(listener: (reason: string) => void): void {
    if (this.why !== undefined) listener(this.why);
    else this.requestListeners.push(listener);
  }

  /** Runs `listener` when the stop is abandoned. */
  onAbandon(listener: (error: unknown) => void): void {
    this.abandonListeners.push(listener);
  }

  /** Runs `listener` when the job has ended (resolved or rejected). */
  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  /**
   * Sets the deadline: `expired` runs `timeoutMs` after the stop request (counted from now if the
   * stop was requested already), unless the job ended first.
   */
  arm(timeoutMs: number, expired: () => void): void {
    this.deadline = { timeoutMs, expired };
    if (this.why !== undefined) this.startDeadline();
  }

  /** Asks the job to stop; `false` when a stop was requested already (or the job ended). */
  request(reason: string): boolean {
    if (this.why !== undefined || this.ended) return false;
    this.why = reason;
    this.controller.abort();
    this.startDeadline();
    for (const listener of this.requestListeners.splice(0)) listener(reason);
    return true;
  }

  /**
   * Gives up the stop: the abandon listeners run, `abandoned` rejects with `error` (the job fails
   * with it), and the job counts as ended (the end listeners run). No-op once the job ended.
   */
  abandon(error: unknown): void {
    if (this.ended) return;
    this.clearDeadline();
    // Listeners first: the job reports its failure before it rejects.
    for (const listener of this.abandonListeners.splice(0)) listener(error);
    this.rejectAbandoned(error);
    this.end();
  }

  /** The job ended: the deadline is cleared and the end listeners run (process signal listeners are removed). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.clearDeadline();
    for (const listener of this.endListeners.splice(0)) listener();
  }

  private startDeadline(): void {
    if (!this.deadline || this.timer !== undefined || this.ended) return;
    const { timeoutMs, expired } = this.deadline;
    this.timer = setTimeout(expired, timeoutMs);
  }

  private clearDeadline(): void {
    clearTimeout(this.timer);
  }
}

/** What a supervised stop needs to know about its job. */
export interface StopSupervision {
  /** `stopTimeout` in ms. */
  timeoutMs: number;
  /** `stopOnSignals`. */
  signals: readonly NodeJS.Signals[];
  /** What the job waits on now (`sink "x" to finish a write`), for the error that ends it. */
  waitingOn: () => string;
  /** The last checkpoint completed (or restored), which a restart resumes from. */
  lastCheckpoint: () => number | undefined;
}

/**
 * Bounds a job's stop: `stopTimeout` after the request the stop is abandoned with a
 * `STOP_TIMEOUT` error naming what the job waits on; with `stopOnSignals`, the first signal
 * requests the stop and a second abandons it with a `STOPPED` error. Both errors say where the
 * next start resumes. The signal listeners go when the job ends.
 */
export function superviseStop(stop: GracefulStop, { timeoutMs, signals, waitingOn, lastCheckpoint }: StopSupervision): void {
  const resumes = () => {
    const id = lastCheckpoint();
    return id === undefined ? 'the next start replays from the beginning of the input' : `the next start resumes from checkpoint ${id}`;
  };
  stop.arm(timeoutMs, () =>
    stop.abandon(
      new StreamkitError(
        'STOP_TIMEOUT',
        `the job did not stop within stopTimeout (${timeoutMs} ms): still waiting for ${waitingOn()}; ${resumes()}`,
      ),
    ),
  );
  if (signals.length === 0) return;
  const removeListeners = listenForStopSignals(signals, {
    first: (signal) => stop.request(signal),
    again: (signal) =>
      stop.abandon(new StreamkitError('STOPPED', `stop forced by a second ${signal} while waiting for ${waitingOn()}; ${resumes()}`)),
  });
  stop.onEnd(removeListeners);
}
