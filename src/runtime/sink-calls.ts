import { describeError, StreamkitError } from '../core/errors.js';
import type { Sink, SinkContext } from '../core/sink.js';

type SinkCall = 'open' | 'write' | 'flush' | 'close';

/**
 * Calls into the job's sinks, with their failures wrapped in `SINK_FAILED` errors that name the
 * sink, and a record of the calls still in progress, so that a stop that times out can say which
 * sink it waits on.
 */
export class SinkCalls {
  /** Calls in progress, in the order they began. */
  private readonly pending = new Map<Sink<any>, SinkCall>();

  /** Writes one chunk of items; the sink stage awaits it before the next (backpressure). */
  async write(sink: Sink<any>, items: unknown[]): Promise<void> {
    this.pending.set(sink, 'write');
    try {
      await sink.write(items);
    } catch (error) {
      throw new StreamkitError('SINK_FAILED', `sink ${nameOf(sink)} failed to write: ${describeError(error)}`, {
        cause: error,
        retriable: true,
      });
    } finally {
      this.pending.delete(sink);
    }
  }

  /** Flushes every sink: afterwards, everything written so far is durable. */
  flushAll(sinks: readonly Sink<any>[]): Promise<void> {
    return this.onEach(sinks, 'flush', async (sink) => {
      try {
        await sink.flush?.();
      } catch (error) {
        throw new StreamkitError('SINK_FAILED', `sink ${nameOf(sink)} failed to flush: ${describeError(error)}`, {
          cause: error,
          retriable: true,
        });
      }
    });
  }

  /** Opens every sink, each with the context `contextOf` gives it. */
  openAll(sinks: readonly Sink<any>[], contextOf?: (sink: Sink<any>) => SinkContext<any>): Promise<void> {
    return this.onEach(sinks, 'open', async (sink) => sink.open?.(contextOf?.(sink)));
  }

  /** Closes every sink. */
  closeAll(sinks: readonly Sink<any>[]): Promise<void> {
    return this.onEach(sinks, 'close', async (sink) => sink.close?.());
  }

  /** The sink calls still in progress, for a message (`sink "jsonl(out.jsonl)" to finish a write`); `undefined` when none. */
  describePending(): string | undefined {
    if (this.pending.size === 0) return undefined;
    const calls = [...this.pending].map(([sink, call]) => `sink ${JSON.stringify(nameOf(sink))} to finish a ${call}`);
    return calls.join(' and ');
  }

  /**
   * Runs `action` on every sink at once and waits for all of them; rejects with the first failure
   * in sink order. Sinks are independent (files, topics), so their opens, fsyncs and closes overlap
   * instead of queueing one behind another.
   */
  private async onEach(sinks: readonly Sink<any>[], call: SinkCall, action: (sink: Sink<any>) => Promise<unknown>): Promise<void> {
    const outcomes = await Promise.allSettled(
      sinks.map(async (sink) => {
        this.pending.set(sink, call);
        try {
          await action(sink);
        } finally {
          this.pending.delete(sink);
        }
      }),
    );
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }
}

function nameOf(sink: Sink<any>): string {
  return sink.name ?? 'unnamed';
}
