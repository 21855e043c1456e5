/**
 * Where results go. `write` receives whole arrays (one per batch); returning a promise makes the
 * pipeline wait for it (backpressure). `flush` must make everything written so far durable: a
 * checkpoint completes only after every sink flushed.
 */
export interface Sink<T = unknown> {
  /** Shown in errors and metrics. */
  readonly name?: string;
  open?(): void | Promise<void>;
  write(items: T[]): void | Promise<void>;
  flush?(): void | Promise<void>;
  close?(): void | Promise<void>;
}
