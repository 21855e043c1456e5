import { describeError, isStreamkitError, StreamkitError } from '../core/errors.js';
import type { Aggregator } from './types.js';

/**
 * A record the window operator sends to the dead letters instead of its windows: its aggregator's
 * `add` threw on it. Thrown by {@link WindowAggregator.add} and caught per record by the operator.
 */
export class RejectedRecord extends Error {
  constructor(
    readonly reason: string,
    cause: unknown,
  ) {
    super(reason, { cause });
    this.name = 'RejectedRecord';
  }
}

/**
 * The user's aggregator as the window operator calls it, with what a failure of each function
 * means:
 *
 * - `add` throwing is the record's fault (a selector that meets a malformed record): the record
 *   goes to the dead letters and the job goes on. `add` must leave the accumulator as it was when
 *   it throws; every built-in aggregator does (their selectors, and `reduce`'s function, run before
 *   anything changes; a combination runs every part's selector first), and the operator adds a
 *   record to a fresh accumulator before it merges sessions or makes sliding windows for it, so
 *   that a rejected record changes nothing.
 * - `create`, `merge` and `result` throwing is the aggregator's fault: the job fails with a
 *   `USER_FUNCTION_FAILED` error naming the operator and the function.
 * @example
 * const agg = new WindowAggregator(count(), '3-window');
 * acc = agg.add(acc, record); // throws RejectedRecord when count's add throws
 */
export class WindowAggregator<T = unknown, A = unknown, R = unknown> {
  constructor(
    readonly aggregator: Aggregator<T, A, R>,
    /** The operator's uid, named in dead letters and errors (set when the operator opens). */
    public uid: string,
  ) {}

  create(): A {
    try {
      return this.aggregator.create();
    } catch (error) {
      throw this.failed('create', error);
    }
  }

  add(acc: A, value: T): A {
    try {
      return this.aggregator.add(acc, value);
    } catch (error) {
      throw new RejectedRecord(`${this.uid}: the aggregator's add threw ${describeError(error)}`, error);
    }
  }

  merge(a: A, b: A): A {
    try {
      return this.aggregator.merge(a, b);
    } catch (error) {
      throw this.failed('merge', error);
    }
  }

  result(acc: A): R {
    try {
      return this.aggregator.result(acc);
    } catch (error) {
      throw this.failed('result', error);
    }
  }

  private failed(fn: string, error: unknown): StreamkitError {
    if (isStreamkitError(error)) return error;
    return new StreamkitError('USER_FUNCTION_FAILED', `${this.uid}: the aggregator's ${fn} failed: ${describeError(error)}`, {
      cause: error,
    });
  }
}
