import { ExchangeError } from './exchange-error.js';
import type { BatchFrame, ExchangeFrame } from './exchange-frame.js';

/** Options of {@link OrderedInputs}. */
export interface OrderedInputsOptions {
  /** The number of the first batch the merge expects (a run restored from a checkpoint goes on from there); default 0. */
  firstBatch?: number;
}

/** What the merge knows of one input channel. */
interface ChannelState<T> {
  /** The batch this channel must send next: batches go round-robin, so each is `channelCount` after the last. */
  nextBatch: number;
  /** Its end was pushed: nothing may follow. */
  closed: boolean;
  /** Batch frames pushed and not yet taken, in batch order; few, as the caller bounds them, so `shift` is cheap. */
  held: BatchFrame<T>[];
}

const NO_FRAMES: readonly ExchangeFrame<never>[] = Object.freeze([]);

/**
 * The input side of the ordered exchange: merges a worker's N input channels, one per upstream
 * worker, into exactly the sequence a run at parallelism 1 produces, restricted to the worker's
 * keys.
 *
 * The source numbers its batches 0, 1, 2, … and hands batch b to upstream worker `b mod N`, which
 * sends every keyed worker one {@link BatchFrame} for it: the batch's records of that worker's key
 * groups (possibly none), then the watermark, barrier and end that followed the batch at the source.
 * This merge takes the batch frames in order of b, reading channel `b mod N` for batch b, and
 * returns their contents as plain frames: a records frame (left out when empty), a watermark
 * frame, a barrier frame, the end. Frames of a channel whose turn has not come are held. No barrier
 * alignment is needed (a barrier sits at the same point of every worker's sequence) and there is no
 * idleness (the sequence is the source's).
 *
 * Protocol: channel c carries batches c, c + N, c + 2N, … (from the first batch on), each once and
 * in that order, then its end frame; exactly one batch says `end`, and no channel carries a batch
 * after it nor ends before its last batch up to it. A frame that breaks this (a batch out of order
 * on its channel, a batch another channel carries, a batch after the end, a channel ending while
 * one of its batches is missing, every channel ended without a batch saying `end`, a frame of
 * another kind) throws an {@link ExchangeError} (`protocol`); after that the merge is broken and
 * every later `push` throws the same error.
 *
 * Backpressure: {@link isWaitingFor} names the channel whose frame the merge needs next. The
 * caller always takes that channel's frames from its ExchangeReceiver; it takes other channels'
 * frames only while {@link heldFrames} is under its bound, and otherwise leaves them in their
 * receivers, where they keep their credits so that those upstream workers stop. Taking the waited
 * channel always is what keeps the exchange from deadlocking: the upstream worker of the oldest
 * batch not yet delivered everywhere can always send it, because every receiver still missing
 * that batch is waiting for exactly that channel.
 *
 * @example
 * // The simplest caller reads only the channel the merge waits for (nothing is ever held).
 * const inputs = new OrderedInputs<Trip>(receivers.length);
 * for (let c = inputs.isWaitingFor(); c !== undefined; c = inputs.isWaitingFor()) {
 *   for (const out of inputs.push(c, await receivers[c].receive())) stage.take(out);
 * }
 * // Then each channel's own end frame, which the merge checks too.
 * for (const [c, receiver] of receivers.entries()) inputs.push(c, await receiver.receive());
 */
export class OrderedInputs<T> {
  private readonly channels: ChannelState<T>[];
  /** The batch whose frame goes out next. */
  private expected: number;
  /** The batch that said `end`, once it was pushed. */
  private lastBatch: number | undefined;
  /** The highest batch number pushed on any channel, -1 before the first. */
  private highestPushed = -1;
  private endSent = false;
  private heldFrameCount = 0;
  private heldRecordCount = 0;
  private failure: ExchangeError | undefined;

  /** @param channelCount the number of input channels (upstream workers), numbered 0 … channelCount − 1. */
  constructor(channelCount: number, options: OrderedInputsOptions = {}) {
    if (!Number.isInteger(channelCount) || channelCount < 1) {
      throw new RangeError(`channelCount must be a positive integer, got ${channelCount}`);
    }
    const firstBatch = options.firstBatch ?? 0;
    if (!Number.isSafeInteger(firstBatch) || firstBatch < 0) {
      throw new RangeError(`firstBatch must be a non-negative integer, got ${firstBatch}`);
    }
    this.expected = firstBatch;
    this.channels = Array.from({ length: channelCount }, (_, c) => ({
      // The first batch at or after firstBatch that channel c carries.
      nextBatch: firstBatch + ((c - (firstBatch % channelCount) + channelCount) % channelCount),
      closed: false,
      held: [],
    }));
  }

  /** Batch frames pushed and not yet passed on (their turn has not come). */
  get heldFrames(): number {
    return this.heldFrameCount;
  }

  /** Records in the held batch frames. */
  get heldRecords(): number {
    return this.heldRecordCount;
  }

  /** The batch whose frame the merge needs next (after the end: the one after the last). */
  get nextBatch(): number {
    return this.expected;
  }

  /** True once the batch that said `end` went out, with the merged end after it. */
  get ended(): boolean {
    return this.endSent;
  }

  /** The channel that carries batch `batch`. */
  channelOf(batch: number): number {
    return batch % this.channels.length;
  }

  /**
   * The channel whose next frame the merge needs to go on: the one that carries the next batch,
   * or `undefined` once the merged end went out (the channels' own end frames may still come).
   */
  isWaitingFor(): number | undefined {
    return this.endSent ? undefined : this.channelOf(this.expected);
  }

  /**
   * Takes the next frame of `channel` and returns the frames of the merged stream that follow
   * from it, in order (none while it is held).
   * @throws RangeError for a channel number out of range; {@link ExchangeError} (`protocol`) for a
   * frame that breaks the ordered exchange's protocol.
   */
  push(channel: number, frame: ExchangeFrame<T>): readonly ExchangeFrame<T>[] {
    if (this.failure) throw this.failure;
    const state = this.channelState(channel);
    if (state.closed) this.protocolError(`channel ${channel} sent a frame (${frame.kind}) after its end`);
    if (frame.kind === 'end') {
      state.closed = true;
      this.checkEndedChannels();
      return NO_FRAMES;
    }
    if (frame.kind !== 'batch') {
      this.protocolError(`channel ${channel} sent a frame of kind ${frame.kind}: an ordered exchange carries batch frames and the end`);
    }
    this.accept(channel, state, frame);
    const out = this.takeInOrder();
    // The batches pushed and passed on may show that a channel which ended left one of its batches out.
    this.checkEndedChannels();
    return out;
  }

  private channelState(channel: number): ChannelState<T> {
    const state = this.channels[channel];
    if (!Number.isInteger(channel) || state === undefined) {
      throw new RangeError(`channel must be an integer from 0 to ${this.channels.length - 1}, got ${channel}`);
    }
    return state;
  }

  /** Checks a batch frame's place in its channel and in the run, and holds it until its turn. */
  private accept(channel: number, state: ChannelState<T>, frame: BatchFrame<T>): void {
    const { batch } = frame;
    if (!Number.isSafeInteger(batch) || batch < 0) {
      this.protocolError(`channel ${channel} sent batch ${batch}: a batch number is a non-negative integer`);
    }
    if (this.channelOf(batch) !== channel) {
      this.protocolError(
        `channel ${channel} sent batch ${batch}, which channel ${this.channelOf(batch)} carries: batch b goes on channel b mod ${this.channels.length}`,
      );
    }
    if (batch !== state.nextBatch) {
      this.protocolError(
        `channel ${channel} sent batch ${batch} where batch ${state.nextBatch} was due: each channel sends its batches once, in order`,
      );
    }
    if (this.lastBatch !== undefined && batch > this.lastBatch) {
      this.protocolError(`channel ${channel} sent batch ${batch} after the end, which batch ${this.lastBatch} said`);
    }
    state.nextBatch += this.channels.length;
    if (batch > this.highestPushed) this.highestPushed = batch;
    if (frame.end) {
      this.lastBatch = batch;
      if (this.highestPushed > batch) {
        this.protocolError(
          `channel ${this.channelOf(this.highestPushed)} sent batch ${this.highestPushed} after the end, which batch ${batch} says`,
        );
      }
    }
    state.held.push(frame);
    this.heldFrameCount++;
    this.heldRecordCount += frame.values.length;
  }

  /**
   * The run goes on at least to the batch that said the end or, before that batch came, to the
   * highest batch pushed and to the batch the merge waits for: an ended channel must have sent all
   * of its batches up to there. (When every channel ended without a batch saying the end, the
   * channel of the batch the merge waits for fails this.)
   */
  private checkEndedChannels(): void {
    const lastNeeded = this.lastBatch ?? Math.max(this.expected, this.highestPushed);
    this.channels.forEach((state, channel) => {
      if (!state.closed || state.nextBatch > lastNeeded) return;
      const why = this.lastBatch === undefined ? 'and no batch has said the end' : `and batch ${this.lastBatch} is the last`;
      this.protocolError(`channel ${channel} ended before sending batch ${state.nextBatch}, ${why}`);
    });
  }

  /** Passes on the held batches whose turn has come, in order of batch. */
  private takeInOrder(): readonly ExchangeFrame<T>[] {
    let out: ExchangeFrame<T>[] | undefined;
    for (;;) {
      const state = this.channels[this.channelOf(this.expected)];
      if (this.endSent || state.held.length === 0) break;
      const frame = state.held.shift()!;
      this.heldFrameCount--;
      this.heldRecordCount -= frame.values.length;
      this.expected++;
      out ??= [];
      if (frame.values.length > 0) out.push({ kind: 'records', values: frame.values, times: frame.times });
      if (frame.watermark !== undefined) out.push({ kind: 'watermark', time: frame.watermark });
      if (frame.checkpointId !== undefined) out.push({ kind: 'barrier', checkpointId: frame.checkpointId });
      if (frame.end) {
        this.endSent = true;
        out.push(END);
      }
    }
    return out ?? NO_FRAMES;
  }

  private protocolError(message: string): never {
    this.failure = new ExchangeError('protocol', message);
    throw this.failure;
  }
}

const END: ExchangeFrame<never> = Object.freeze({ kind: 'end' });
