/**
 * What crosses an exchange between two threads, in order: batches of records with their event
 * times, watermarks, checkpoint barriers, idle marks, and the end. Every frame takes one credit
 * of the channel it travels on.
 *
 * A channel carries one of two families: records, watermark, barrier and idle frames, merged by
 * `ChannelInputs`; or numbered batch frames, merged in batch order by `OrderedInputs` (the ordered
 * exchange). Both end with the end frame.
 */
export type ExchangeFrame<T> = RecordsFrame<T> | WatermarkFrame | BarrierFrame | IdleFrame | BatchFrame<T> | EndFrame;

/** A batch of records; `times[i]` is the event time (epoch ms) of `values[i]`. */
export interface RecordsFrame<T> {
  readonly kind: 'records';
  readonly values: T[];
  readonly times: number[];
}

/** No record at or before `time` will follow on this channel. */
export interface WatermarkFrame {
  readonly kind: 'watermark';
  readonly time: number;
}

/** Everything before it belongs to checkpoint `checkpointId`, nothing after it does. */
export interface BarrierFrame {
  readonly kind: 'barrier';
  readonly checkpointId: number;
}

/**
 * The sender has no records for a while: the receiver leaves this channel out of its minimum
 * watermark until a records or watermark frame comes again.
 */
export interface IdleFrame {
  readonly kind: 'idle';
}

/**
 * The ordered exchange's frame: what source batch `batch` holds for one receiver and what the
 * source produced right after that batch, in this order: its records whose key groups the receiver
 * owns (possibly none), in batch order; the watermark, if it advanced after the batch; the barrier
 * of checkpoint `checkpointId`, if one was taken there; and `end: true` after the last batch. It is
 * the whole of batch `batch` on its channel, so the receiver moves on to the next batch's channel
 * after it. Absent fields are left out, not `undefined`.
 */
export interface BatchFrame<T> {
  readonly kind: 'batch';
  /** The source batch's number: 0, 1, 2, … in the order the source read them. */
  readonly batch: number;
  readonly values: T[];
  readonly times: number[];
  readonly watermark?: number;
  readonly checkpointId?: number;
  readonly end?: true;
}

/** Nothing follows. */
export interface EndFrame {
  readonly kind: 'end';
}
