import type { MessagePort } from 'node:worker_threads';
import { ExchangeError } from './exchange-error.js';
import type { ExchangeFrame } from './exchange-frame.js';

/**
 * The receiving end of an exchange channel: frames in the order they were sent, each exactly once,
 * then the end. Taking a frame returns its credit to the {@link ExchangeSender}; the credits of
 * frames taken in one synchronous run go back in one message.
 *
 * After the end frame is taken the channel is closed, and `receive` keeps answering the end.
 * A failure (the sender's thread exited before the end, or {@link fail}) is reported after the
 * frames that arrived before it.
 *
 * @example
 * const input = new ExchangeReceiver<Trip>(workerData.input);
 * for (let frame = await input.receive(); frame.kind !== 'end'; frame = await input.receive()) {
 *   if (frame.kind === 'records') process(frame.values, frame.times);
 * }
 */
export class ExchangeReceiver<T> {
  private queue: ExchangeFrame<T>[] = [];
  private head = 0;
  private unacknowledged = 0;
  private acknowledging = false;
  private ended = false;
  private failure: ExchangeError | undefined;
  private waiter: { resolve: (frame: ExchangeFrame<T>) => void; reject: (error: unknown) => void } | undefined;

  constructor(private readonly port: MessagePort) {
    port.on('message', (frame: ExchangeFrame<T>) => this.onFrame(frame));
    port.on('messageerror', (error) => this.fail(new ExchangeError('unreadable', 'a frame could not be read', { cause: error })));
    port.on('close', () => {
      if (!this.ended) this.fail(new ExchangeError('closed', 'the sending side closed the exchange before its end frame'));
    });
  }

  /** Frames that arrived and are not taken yet. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /**
   * Takes the next frame if one has arrived, without waiting: a loop drains what is there with no
   * promise per frame.
   * @throws the exchange's {@link ExchangeError} when it failed and every frame before the failure was taken.
   */
  tryReceive(): ExchangeFrame<T> | undefined {
    if (this.head < this.queue.length) return this.take();
    if (this.ended) return END;
    if (this.failure) throw this.failure;
    return undefined;
  }

  /** Takes the next frame, waiting for one; rejects with the exchange's {@link ExchangeError} when it failed. */
  receive(): Promise<ExchangeFrame<T>> {
    try {
      const frame = this.tryReceive();
      if (frame !== undefined) return Promise.resolve(frame);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.waiter) return Promise.reject(new Error('receive called while another receive waits'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /**
   * Fails the exchange from this side (the worker on the other side failed): a waiting `receive`
   * rejects with `error`, and so does every later one once the frames already here are taken.
   * The first failure wins.
   */
  fail(error: ExchangeError): void {
    if (this.failure || this.ended) return;
    this.failure = error;
    this.port.close();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  private onFrame(frame: ExchangeFrame<T>): void {
    if (this.failure) return;
    this.queue.push(frame);
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve(this.take());
    }
  }

  private take(): ExchangeFrame<T> {
    const frame = this.queue[this.head];
    this.queue[this.head++] = undefined as unknown as ExchangeFrame<T>;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.unacknowledged++;
    if (frame.kind === 'end') {
      // The last acknowledgement goes before the close, which the sender reads as the end taken.
      this.ended = true;
      this.acknowledge();
      this.port.close();
    } else if (!this.acknowledging) {
      this.acknowledging = true;
      queueMicrotask(this.acknowledge);
    }
    return frame;
  }

  private readonly acknowledge = (): void => {
    this.acknowledging = false;
    if (this.unacknowledged === 0) return;
    this.port.postMessage(this.unacknowledged);
    this.unacknowledged = 0;
  };
}

const END: ExchangeFrame<never> = Object.freeze({ kind: 'end' });
