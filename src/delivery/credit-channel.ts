/**
 * A bounded channel with credit-based flow control, as between Flink's network stages: the
 * receiver grants `credits` buffers; a sender may hand over one batch per free credit and waits
 * when it has none. Control elements (watermarks, barriers, end) ride in order without a credit,
 * so they are never stuck behind a full channel's rule, only behind the batches ahead of them.
 *
 * Memory on the edge is therefore bounded by `credits x batch size` records.
 */
export class CreditChannel<E> {
  private readonly queue: E[] = [];
  /** Records carried by the element at the same index (0 for control elements). */
  private readonly counts: number[] = [];
  private head = 0;
  private batchesQueued = 0;
  private recordsQueued = 0;
  private creditWaiter: (() => void) | undefined;
  private dataWaiter: (() => void) | undefined;
  private failure: unknown;
  private failed = false;
  /** The most records ever queued at once: a test and metrics read it. */
  peakRecords = 0;
  /** Milliseconds senders spent waiting for a credit. */
  backpressuredMs = 0;

  constructor(
    readonly credits: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(credits) || credits < 1) {
      throw new RangeError(`credits must be a positive integer, got ${credits}`);
    }
  }

  /** Records currently queued. */
  get inFlightRecords(): number {
    return this.recordsQueued;
  }

  /** True when a batch sent now would have to wait. */
  get full(): boolean {
    return this.batchesQueued >= this.credits;
  }

  /**
   * Sends an element. A batch of `records` records takes a credit; pass 0 for control elements.
   * Resolves once the element is queued.
   */
  async send(element: E, records: number): Promise<void> {
    if (this.failed) throw this.failure;
    if (records > 0) {
      if (this.batchesQueued >= this.credits) {
        const started = this.now();
        while (this.batchesQueued >= this.credits) {
          await new Promise<void>((resolve) => (this.creditWaiter = resolve));
          if (this.failed) throw this.failure;
        }
        this.backpressuredMs += this.now() - started;
      }
      this.batchesQueued++;
      this.recordsQueued += records;
      if (this.recordsQueued > this.peakRecords) this.peakRecords = this.recordsQueued;
    }
    this.queue.push(element);
    this.counts.push(records);
    const wake = this.dataWaiter;
    if (wake) {
      this.dataWaiter = undefined;
      wake();
    }
  }

  /** Takes the next element, waiting for one; returns the credit of a batch to the sender. */
  async receive(): Promise<E> {
    while (this.head >= this.queue.length) {
      if (this.failed) throw this.failure;
      await new Promise<void>((resolve) => (this.dataWaiter = resolve));
    }
    const element = this.queue[this.head];
    const records = this.counts[this.head];
    this.queue[this.head++] = undefined as E;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
    if (records > 0) {
      this.batchesQueued--;
      this.recordsQueued -= records;
      const wake = this.creditWaiter;
      if (wake) {
        this.creditWaiter = undefined;
        wake();
      }
    }
    return element;
  }

  /** Fails both ends: waiting and future senders and receivers throw `error`. */
  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = error;
    const waiters = [this.creditWaiter, this.dataWaiter];
    this.creditWaiter = this.dataWaiter = undefined;
    for (const wake of waiters) wake?.();
  }
}
