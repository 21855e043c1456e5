import { ExchangeError } from './exchange-error.js';
import type { ExchangeFrame } from './exchange-frame.js';

/** What the merge knows of one input channel. */
interface ChannelState<T> {
  /** The latest watermark taken from the channel. */
  watermark: number;
  idle: boolean;
  /** Its end was taken: it counts as `+Infinity` (left out of the minimum) and blocks no alignment. */
  ended: boolean;
  /** Its end was pushed (it may still wait among the held frames): nothing may follow it. */
  closed: boolean;
  /** The highest barrier id pushed on it, -1 before the first. */
  lastBarrier: number;
  /** It delivered the barrier being aligned: the frames pushed after it wait in `held`. */
  blocked: boolean;
  held: ExchangeFrame<T>[];
  /** Index of the first frame of `held` not taken yet (a queue without `shift`). */
  heldHead: number;
}

const NO_FRAMES: readonly ExchangeFrame<never>[] = Object.freeze([]);

/**
 * The input side of an exchange: merges the N ordered frame streams a worker receives, one per
 * upstream worker, into the one ordered stream its operators see, with Flink's rules.
 *
 * - Records pass through at once, in their channel's order (the order across channels is not
 *   promised), unless their channel is blocked by an alignment.
 * - The merged watermark is the minimum of the channels' latest watermarks over the channels that
 *   are neither idle nor ended, the rule a `union` follows (`UnionMerge` in
 *   runtime/operator-graph.ts). It only advances, and a watermark frame goes out only when it does.
 *   An idle channel is left out until it sends records or a watermark again; while every channel
 *   still running is idle the watermark holds, and the merged stream says `idle` once (it is
 *   active again with its next records or watermark frame). An ended channel counts as
 *   `+Infinity`; when every channel has ended, the watermark `+Infinity` goes out, then the end.
 * - Checkpoint barriers are aligned: once barrier k came on a channel, that channel is blocked and
 *   the frames pushed on it after the barrier are held, until barrier k came on every channel that
 *   has not ended; then barrier k goes out once, followed by the held frames. An ended channel does
 *   not block an alignment.
 *
 * Every channel carries every barrier, in increasing order of id. A barrier out of that order, a
 * frame after a channel's end, a batch frame (it belongs to an ordered exchange, `OrderedInputs`),
 * or a barrier of another checkpoint on a channel while one is aligned throws an
 * {@link ExchangeError} (`protocol`); after that the merge is broken and every later `push` throws
 * the same error.
 *
 * Backpressure: the caller reads {@link isBlocked} before taking channel i's next frame from its
 * ExchangeReceiver, and leaves the frames of a blocked channel there. Frames not taken keep their
 * credits, so the upstream sender stops, as Flink blocks a channel while it aligns; what is pushed
 * anyway is held here and counted by {@link heldFrames} and {@link heldRecords}.
 *
 * @example
 * const inputs = new ChannelInputs<Trip>(receivers.length);
 * for (const [i, receiver] of receivers.entries()) {
 *   if (inputs.isBlocked(i)) continue;
 *   const frame = receiver.tryReceive();
 *   if (frame) for (const out of inputs.push(i, frame)) stage.take(out);
 * }
 */
export class ChannelInputs<T> {
  private readonly channels: ChannelState<T>[];
  /** The last merged watermark that went out. */
  private forwarded = -Infinity;
  /** The merged stream said `idle` and has not sent records or a watermark since. */
  private outputIdle = false;
  /** The barrier being aligned, if any. */
  private aligning: number | undefined;
  private endSent = false;
  private heldFrameCount = 0;
  private heldRecordCount = 0;
  private failure: ExchangeError | undefined;
  /** Channels unblocked by an alignment whose held frames are still to be taken, in channel order. */
  private readonly released: number[] = [];
  /** Frames of the merged stream produced by the current `push`. */
  private out: ExchangeFrame<T>[] = [];

  /** @param channelCount the number of input channels, numbered 0 … channelCount − 1. */
  constructor(channelCount: number) {
    if (!Number.isInteger(channelCount) || channelCount < 1) {
      throw new RangeError(`channelCount must be a positive integer, got ${channelCount}`);
    }
    this.channels = Array.from({ length: channelCount }, () => ({
      watermark: -Infinity,
      idle: false,
      ended: false,
      closed: false,
      lastBarrier: -1,
      blocked: false,
      held: [],
      heldHead: 0,
    }));
  }

  /** Frames pushed on blocked channels and not yet passed on. */
  get heldFrames(): number {
    return this.heldFrameCount;
  }

  /** Records in the held frames. */
  get heldRecords(): number {
    return this.heldRecordCount;
  }

  /** The last merged watermark that went out; `-Infinity` before the first. */
  get watermark(): number {
    return this.forwarded;
  }

  /** The barrier being aligned, or `undefined`. */
  get aligningBarrier(): number | undefined {
    return this.aligning;
  }

  /** True once every channel ended and the merged end went out. */
  get ended(): boolean {
    return this.endSent;
  }

  /** True while `channel` delivered the barrier being aligned: its next frames would be held. */
  isBlocked(channel: number): boolean {
    return this.channelState(channel).blocked;
  }

  /**
   * Takes the next frame of `channel` and returns the frames of the merged stream that follow
   * from it, in order (none while the channel is blocked).
   * @throws RangeError for a channel number out of range; {@link ExchangeError} (`protocol`) for a
   * frame that breaks a channel's order.
   */
  push(channel: number, frame: ExchangeFrame<T>): readonly ExchangeFrame<T>[] {
    if (this.failure) throw this.failure;
    const state = this.channelState(channel);
    if (state.closed) this.protocolError(`channel ${channel} sent a frame (${frame.kind}) after its end`);
    if (frame.kind === 'batch') {
      this.protocolError(
        `channel ${channel} sent a batch frame (batch ${frame.batch}): batch frames belong to an ordered exchange (OrderedInputs)`,
      );
    }
    if (frame.kind === 'end') state.closed = true;
    if (frame.kind === 'barrier') {
      if (frame.checkpointId <= state.lastBarrier) {
        this.protocolError(
          `channel ${channel} sent barrier ${frame.checkpointId} after barrier ${state.lastBarrier}: barriers come in increasing order`,
        );
      }
      state.lastBarrier = frame.checkpointId;
    }
    if (state.blocked) {
      this.hold(state, frame);
      return NO_FRAMES;
    }
    this.out = [];
    this.take(channel, state, frame);
    this.takeReleased();
    return this.out;
  }

  private channelState(channel: number): ChannelState<T> {
    const state = this.channels[channel];
    if (!Number.isInteger(channel) || state === undefined) {
      throw new RangeError(`channel must be an integer from 0 to ${this.channels.length - 1}, got ${channel}`);
    }
    return state;
  }

  private hold(state: ChannelState<T>, frame: ExchangeFrame<T>): void {
    state.held.push(frame);
    this.heldFrameCount++;
    if (frame.kind === 'records') this.heldRecordCount += frame.values.length;
  }

  /** Takes the held frames of the channels an alignment released, until each is empty or blocked again. */
  private takeReleased(): void {
    for (let next = 0; next < this.released.length; next++) {
      const channel = this.released[next];
      const state = this.channels[channel];
      while (!state.blocked && state.heldHead < state.held.length) {
        const frame = state.held[state.heldHead];
        state.held[state.heldHead++] = undefined as unknown as ExchangeFrame<T>;
        this.heldFrameCount--;
        if (frame.kind === 'records') this.heldRecordCount -= frame.values.length;
        this.take(channel, state, frame);
      }
      if (state.heldHead === state.held.length) {
        state.held = [];
        state.heldHead = 0;
      }
    }
    this.released.length = 0;
  }

  /** Applies one frame of an unblocked channel to the merge. */
  private take(channel: number, state: ChannelState<T>, frame: ExchangeFrame<T>): void {
    switch (frame.kind) {
      case 'records':
        if (state.idle) {
          state.idle = false;
          this.advance();
        }
        this.emit(frame);
        return;
      case 'watermark': {
        const resumed = state.idle;
        state.idle = false;
        const moved = frame.time > state.watermark;
        if (moved) state.watermark = frame.time;
        if (resumed || moved) this.advance();
        return;
      }
      case 'idle':
        if (state.idle) return;
        state.idle = true;
        this.advance();
        return;
      case 'barrier':
        this.barrier(channel, state, frame.checkpointId);
        return;
      case 'end':
        state.ended = true;
        this.advance();
        this.completeAlignment();
        if (this.channels.every((c) => c.ended)) {
          this.endSent = true;
          this.emit(frame);
        }
        return;
    }
  }

  private barrier(channel: number, state: ChannelState<T>, checkpointId: number): void {
    // A barrier that was aligned already cannot come here: every channel still running delivered
    // it, and `push` refuses a barrier that does not increase on its channel.
    if (this.aligning === undefined) this.aligning = checkpointId;
    else if (checkpointId !== this.aligning) {
      this.protocolError(
        `channel ${channel} sent barrier ${checkpointId} while barrier ${this.aligning} is aligned: every channel carries every barrier, in the same order`,
      );
    }
    state.blocked = true;
    this.completeAlignment();
  }

  /** Sends the aligned barrier once every channel still running delivered it, and releases the blocked channels. */
  private completeAlignment(): void {
    if (this.aligning === undefined) return;
    if (!this.channels.every((c) => c.blocked || c.ended)) return;
    this.emit({ kind: 'barrier', checkpointId: this.aligning });
    this.aligning = undefined;
    this.channels.forEach((c, i) => {
      if (!c.blocked) return;
      c.blocked = false;
      this.released.push(i);
    });
  }

  /**
   * Recomputes the merged watermark after a channel's watermark, idleness or end changed, and sends
   * it if it advanced; says `idle` when every channel still running is idle.
   */
  private advance(): void {
    let min = Infinity;
    let running = 0;
    let active = 0;
    for (const c of this.channels) {
      if (c.ended) continue;
      running++;
      if (c.idle) continue;
      active++;
      if (c.watermark < min) min = c.watermark;
    }
    if (running > 0 && active === 0) {
      if (!this.outputIdle) this.emit({ kind: 'idle' });
      return;
    }
    if (min > this.forwarded) {
      this.forwarded = min;
      this.emit({ kind: 'watermark', time: min });
    }
  }

  private emit(frame: ExchangeFrame<T>): void {
    if (frame.kind === 'idle') this.outputIdle = true;
    else if (frame.kind === 'records' || frame.kind === 'watermark') this.outputIdle = false;
    this.out.push(frame);
  }

  private protocolError(message: string): never {
    this.failure = new ExchangeError('protocol', message);
    throw this.failure;
  }
}
