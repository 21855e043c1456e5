/** Why an exchange failed; code branches on it, never on the message. */
export type ExchangeFailure =
  /** The other side's port closed before the end frame crossed (its thread exited or closed it). */
  | 'closed'
  /** The worker thread on the other side threw or exited with a non-zero code. */
  | 'worker-failed'
  /** A message could not be read on arrival. */
  | 'unreadable'
  /**
   * A frame broke a channel's order: a barrier out of order, a frame after the end, a batch of the
   * ordered exchange out of order or missing, or a frame of the other family of channels.
   */
  | 'protocol';

/**
 * An exchange between threads stopped before its end: every pending and later `send` and
 * `receive` on that endpoint rejects with it; `cause` holds the worker's own error when there is one.
 * A `protocol` failure is thrown by the ChannelInputs or OrderedInputs that received the frame
 * breaking the order.
 */
export class ExchangeError extends Error {
  constructor(
    readonly reason: ExchangeFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExchangeError';
  }
}
