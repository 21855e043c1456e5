/**
 * The first failure of a running job. Every stage reports its errors here; the first one is what
 * `run()` rejects with, and `signal` is raised so that no stage keeps waiting on another.
 */
export class JobFailure {
  private readonly controller = new AbortController();
  private first: { error: unknown } | undefined;

  /** Raised at the first failure. */
  readonly signal: AbortSignal = this.controller.signal;

  /** True once anything failed (also when the thrown value is `undefined`). */
  get failed(): boolean {
    return this.first !== undefined;
  }

  /** The first failure; `undefined` while none happened. */
  get error(): unknown {
    return this.first?.error;
  }

  /** Records `error` unless an earlier failure was recorded, and raises `signal`. */
  fail(error: unknown): void {
    this.first ??= { error };
    this.controller.abort();
  }
}
