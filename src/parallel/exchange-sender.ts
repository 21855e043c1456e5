import type { MessagePort } from 'node:worker_threads';
import { ExchangeError } from './exchange-error.js';
import type { ExchangeFrame } from './exchange-frame.js';
import { checkExchangeValues } from './exchange-values.js';

/** A frame the sender may send with {@link ExchangeSender.send}; the end goes through {@link ExchangeSender.end}. */
export type SendableFrame<T> = Exclude<ExchangeFrame<T>, { kind: 'end' }>;

/** Options of an {@link ExchangeSender}. */
export interface ExchangeSenderOptions {
  /** Frames that may be sent and not yet taken by the receiver; default 8. */
  credits?: number;
  /**
   * Check every record against the values an exchange carries (exchange-values.ts) before it is
   * sent; default true. Only a sender whose records are known to be plain (parsed JSON) turns it off.
   */
  checkValues?: boolean;
}

interface PendingSend<T> {
  readonly frame: ExchangeFrame<T>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The sending end of an exchange channel, on one thread; its {@link ExchangeReceiver} holds the
 * other port on another. Credit-based, as Flink's network stack: at most `credits` frames are
 * sent and not yet taken by the receiver; the receiver's acknowledgements return the credits.
 *
 * `send` posts at once and returns `undefined` while a credit is free, so a loop that sends many
 * frames pays no promise per frame; without a credit it returns a promise resolved once the frame
 * is posted. Frames are posted in the order `send` was called.
 *
 * @example
 * const { port1, port2 } = new MessageChannel();
 * const sender = new ExchangeSender<Trip>(port1, { credits: 8 });
 * worker.postMessage({ input: port2 }, [port2]); // the worker wraps it in an ExchangeReceiver
 * const wait = sender.send({ kind: 'records', values: trips, times });
 * if (wait) await wait;
 * await sender.end();
 */
export class ExchangeSender<T> {
  readonly credits: number;
  private readonly checkValues: boolean;
  private sent = 0;
  private acknowledged = 0;
  private readonly pending: PendingSend<T>[] = [];
  private failure: ExchangeError | undefined;
  private endCalled = false;
  private endPosted = false;
  private endWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** The most frames ever in flight at once: tests and metrics read it. */
  peakInFlight = 0;

  constructor(
    private readonly port: MessagePort,
    options: ExchangeSenderOptions = {},
  ) {
    const credits = options.credits ?? 8;
    if (!Number.isInteger(credits) || credits < 1) throw new RangeError(`credits must be a positive integer, got ${credits}`);
    this.credits = credits;
    this.checkValues = options.checkValues ?? true;
    port.on('message', (acknowledged: number) => this.onAcknowledged(acknowledged));
    port.on('messageerror', (error) =>
      this.fail(new ExchangeError('unreadable', 'an acknowledgement could not be read', { cause: error })),
    );
    port.on('close', () => this.onClosed());
  }

  /** Frames sent and not yet taken by the receiver. */
  get inFlight(): number {
    return this.sent - this.acknowledged;
  }

  /** True while a frame sent now would be posted at once. */
  get writable(): boolean {
    return this.failure === undefined && !this.endCalled && this.pending.length === 0 && this.inFlight < this.credits;
  }

  /**
   * Sends a frame: posts it at once and returns `undefined` when a credit is free, otherwise
   * returns a promise resolved once it is posted (rejected if the exchange fails first).
   * @throws TypeError for a malformed frame, UnsupportedExchangeValueError for a record the exchange
   * cannot carry (nothing of the frame is sent), the {@link ExchangeError} of a failed exchange, or
   * an Error after {@link end}.
   */
  send(frame: SendableFrame<T>): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    if (this.endCalled) throw new Error('send after end: an exchange carries nothing after its end frame');
    checkFrame(frame, this.checkValues);
    return this.enqueue(frame);
  }

  /**
   * Sends the end frame and resolves once the receiver has taken it (every frame was taken) and
   * closed the channel; rejects if the exchange fails first.
   */
  end(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.endCalled) throw new Error('end called twice');
    this.endCalled = true;
    const done = new Promise<void>((resolve, reject) => (this.endWaiter = { resolve, reject }));
    const posted = this.enqueue(END);
    posted?.catch(() => undefined);
    return done;
  }

  /**
   * Fails the exchange from this side (the worker on the other side failed): pending sends and
   * `end` reject with `error`, later calls throw it, and the port is closed. The first failure wins.
   */
  fail(error: ExchangeError): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of this.pending.splice(0)) p.reject(error);
    this.endWaiter?.reject(error);
    this.endWaiter = undefined;
    this.port.close();
  }

  private enqueue(frame: ExchangeFrame<T>): Promise<void> | undefined {
    if (this.pending.length === 0 && this.inFlight < this.credits) {
      this.post(frame);
      return undefined;
    }
    return new Promise<void>((resolve, reject) => this.pending.push({ frame, resolve, reject }));
  }

  private post(frame: ExchangeFrame<T>): void {
    this.port.postMessage(frame);
    this.sent++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    if (frame.kind === 'end') this.endPosted = true;
  }

  private onAcknowledged(frames: number): void {
    if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 1 || frames > this.inFlight) {
      this.fail(new ExchangeError('unreadable', `the receiver acknowledged ${String(frames)} frames with ${this.inFlight} in flight`));
      return;
    }
    this.acknowledged += frames;
    while (this.pending.length > 0 && this.inFlight < this.credits) {
      const next = this.pending.shift()!;
      this.post(next.frame);
      next.resolve();
    }
  }

  private onClosed(): void {
    if (this.failure) return;
    if (this.endPosted && this.inFlight === 0) {
      this.endWaiter?.resolve();
      this.endWaiter = undefined;
      // A closed sender refuses later sends as it does after end.
      this.failure = new ExchangeError('closed', 'the exchange has ended');
      return;
    }
    this.fail(new ExchangeError('closed', `the receiving side closed the exchange with ${this.inFlight} frames not taken, before its end`));
  }
}

const END: ExchangeFrame<never> = Object.freeze({ kind: 'end' });

function checkFrame(frame: SendableFrame<unknown>, checkValues: boolean): void {
  switch (frame?.kind) {
    case 'records':
      checkRecords(frame.kind, frame.values, frame.times, checkValues);
      return;
    case 'watermark':
      checkWatermark(frame.time);
      return;
    case 'barrier':
      checkCheckpointId(frame.checkpointId);
      return;
    case 'idle':
      return;
    case 'batch':
      if (!Number.isSafeInteger(frame.batch) || frame.batch < 0) {
        throw new TypeError(`a batch frame's batch must be a non-negative integer, got ${String(frame.batch)}`);
      }
      checkRecords(frame.kind, frame.values, frame.times, checkValues);
      if (frame.watermark !== undefined) checkWatermark(frame.watermark);
      if (frame.checkpointId !== undefined) checkCheckpointId(frame.checkpointId);
      if (frame.end !== undefined && frame.end !== true)
        throw new TypeError(`a batch frame's end is true or absent, got ${String(frame.end)}`);
      return;
    default:
      throw new TypeError(`not a frame an exchange sends: ${String((frame as { kind?: unknown })?.kind)} (the end goes through end())`);
  }
}

function checkRecords(kind: string, values: unknown[], times: number[], checkValues: boolean): void {
  if (!Array.isArray(values) || !Array.isArray(times) || values.length !== times.length) {
    throw new TypeError(`a ${kind} frame needs arrays values and times of the same length`);
  }
  for (let i = 0; i < times.length; i++) {
    if (typeof times[i] !== 'number' || Number.isNaN(times[i]))
      throw new TypeError(`times[${i}] must be a number, got ${String(times[i])}`);
  }
  if (checkValues) checkExchangeValues(values);
}

function checkWatermark(time: number): void {
  if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`a watermark's time must be a number, got ${String(time)}`);
}

function checkCheckpointId(checkpointId: number): void {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) {
    throw new TypeError(`a barrier's checkpointId must be a non-negative integer, got ${String(checkpointId)}`);
  }
}
