/**
 * What the runtime gives a sink when it opens it (see docs/how-to/write-a-sink.md).
 * @example
 * let context: SinkContext<Row> | undefined;
 * const sink: Sink<Row> = {
 *   open: (given) => void (context = given),
 *   write: (rows) => rows.forEach((row) => (fits(row) ? insert(row) : context?.deadLetter(row, 'row wider than the table'))),
 * };
 */
export interface SinkContext<T = unknown> {
  /**
   * Hands `item` back instead of writing it, because this sink cannot represent it (a bigint or a
   * cycle in JSON, a value nested deeper than a serializer goes, a value a schema rejects). It goes
   * to the dead-letter output of the stream it came from as `{ reason, raw: item, operator }`, with
   * the sink's name as operator, and the job goes on. A dead letter handed back by the sink that
   * writes dead letters is written to it again with its `raw` rendered as plain JSON data.
   *
   * Call it while `write` runs (before the promise it returned settles), once per item not written;
   * a call at any other time throws. A failure of the sink itself (a full disk, a broker that does
   * not answer) is not about one item: `write` rejects.
   * @param item an item of the batch `write` was given.
   * @param reason why it cannot be written, shown to whoever reads the dead letters.
   */
  deadLetter(item: T, reason: string): void;
}

/**
 * Where results go. `write` receives whole arrays (one per batch); returning a promise makes the
 * pipeline wait for it (backpressure). `flush` must make everything written so far durable: a
 * checkpoint completes only after every sink flushed. A sink never fails on a value it was given:
 * what it cannot write it hands back through {@link SinkContext.deadLetter}.
 * @example
 * const sink: Sink<number> = { name: 'log', write: (items) => items.forEach((n) => console.log(n)) };
 */
export interface Sink<T = unknown> {
  /** Shown in errors, metrics and the dead letters the sink hands back. */
  readonly name?: string;
  /**
   * Called once before the first write. `context` is given by the runtime; a sink opened by other
   * code (a test, a sink wrapping this one without passing it on) gets none, and then fails a
   * write on an item it cannot represent, as a sink without a dead-letter output must.
   */
  open?(context?: SinkContext<T>): void | Promise<void>;
  write(items: T[]): void | Promise<void>;
  flush?(): void | Promise<void>;
  close?(): void | Promise<void>;
}
