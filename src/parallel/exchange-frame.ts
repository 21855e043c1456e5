/**
 * What crosses an exchange between two threads, in order: batches of records with their event
 * times, watermarks, checkpoint barriers, idle marks, and the end. Every frame takes one credit
 * of the channel it travels on.
 */
export type ExchangeFrame<T> = RecordsFrame<T> | WatermarkFrame | BarrierFrame | IdleFrame | EndFrame;

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

/** Nothing follows. */
export interface EndFrame {
  readonly kind: 'end';
}
