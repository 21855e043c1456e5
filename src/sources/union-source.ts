import { StateError } from '../core/errors.js';
import { MAX_UNION_INPUTS, packInputPartition } from '../core/input-partition.js';
import type { Source, SourceContext, SourcePoll, SourcePosition } from '../core/source.js';

/** A union's checkpointed position: every input's own position, and the input polled next. */
export interface UnionPosition {
  union: SourcePosition[];
  next: number;
}

/**
 * One source over the sources of a `union`: the job's one source loop polls it, and it polls its
 * inputs in turn, so the loop's credits, batch boundaries and checkpoint barriers cover every input
 * at once. Its position holds every input's position, taken together at one batch boundary; a
 * restore resumes each input from its own, and the input polled next, so a replay of synchronous
 * inputs interleaves their batches as the interrupted run did.
 *
 * - Partition ids are packed per input (`packInputPartition`), so per-partition watermarks and
 *   dead letters name the input.
 * - An input that waits (a pending poll) does not hold the others back: each input has at most
 *   one poll outstanding, and a poll of the union answers with the first input that has a batch.
 *   By the `Source` contract an input's position never covers a batch its poll has not returned,
 *   so a poll left pending at a stop is read again by the next run. An answer the union holds
 *   but has not handed out yet is left out of the union's position too: a checkpoint taken
 *   meanwhile would otherwise skip that batch on restore.
 * - An input that ended is reported once in `endedInputs`, and its partitions leave
 *   `partitions()`; the union ends when every input has.
 *
 * Built by `union(…)`, `stream.union(…)` and `stream.join(…)`; not for direct use.
 */
export class UnionSource implements Source<unknown> {
  readonly name: string;
  private readonly ended: boolean[];
  private readonly pending: Array<Promise<SourcePoll<unknown>> | undefined>;
  private readonly answered: Array<SourcePoll<unknown> | undefined>;
  /**
   * Per input, its position while its poll was pending. An input's position covers a batch as soon
   * as its poll resolves, but the union hands that batch out only at one of its own later polls:
   * until then the union reports this position, so a checkpoint taken in between reads it again.
   */
  private readonly positionsBefore: SourcePosition[];
  private readonly failed: unknown[];
  private endedToReport: number[] = [];
  private next = 0;

  constructor(readonly inputs: readonly Source<unknown>[]) {
    if (inputs.length < 2) throw new TypeError('union: pass at least two streams');
    if (inputs.length > MAX_UNION_INPUTS) throw new RangeError(`union: at most ${MAX_UNION_INPUTS} sources, got ${inputs.length}`);
    if (new Set(inputs).size !== inputs.length) {
      throw new TypeError(
        'union: the same source appears twice; a source is read once per job (use branch() to feed it to several streams)',
      );
    }
    this.name = `union(${inputs.map((s) => s.name).join(', ')})`;
    this.ended = inputs.map(() => false);
    this.pending = inputs.map(() => undefined);
    this.answered = inputs.map(() => undefined);
    this.positionsBefore = inputs.map(() => undefined);
    this.failed = inputs.map(() => undefined);
  }

  partitions(): readonly number[] {
    const all: number[] = [];
    for (let i = 0; i < this.inputs.length; i++) if (!this.ended[i]) all.push(...this.inputPartitions(i));
    return all;
  }

  inputPartitions(input: number): readonly number[] {
    // An input that ended has no partitions left: nothing downstream waits for its watermark.
    if (this.ended[input]) return [];
    return this.inputs[input].partitions().map((p) => packInputPartition(input, p));
  }

  async open(ctx: SourceContext): Promise<void> {
    if (ctx.holdNewPartitions) {
      throw new TypeError(`${this.name}: a union cannot run a task per partition (kafkaChangelog()); use memoryState() or levelState()`);
    }
    const restored = ctx.restoreFrom === undefined ? undefined : this.checkPosition(ctx.restoreFrom);
    // A stream can run more than once: every run starts afresh.
    this.ended.fill(false);
    this.pending.fill(undefined);
    this.answered.fill(undefined);
    this.failed.fill(undefined);
    this.endedToReport = [];
    this.next = restored ? restored.next : 0;
    for (let i = 0; i < this.inputs.length; i++) {
      await this.inputs[i].open({ ...ctx, restoreFrom: restored?.union[i] });
    }
  }

  poll(): SourcePoll<unknown> | Promise<SourcePoll<unknown>> {
    const n = this.inputs.length;
    let waiting = false;
    for (let step = 0; step < n; step++) {
      const i = (this.next + step) % n;
      if (this.ended[i]) continue;
      if (this.failed[i] !== undefined) {
        const error = this.failed[i];
        this.failed[i] = undefined;
        throw error;
      }
      let answer = this.answered[i];
      this.answered[i] = undefined;
      if (answer === undefined) {
        if (this.pending[i]) {
          waiting = true;
          continue;
        }
        const polled = this.inputs[i].poll();
        if (polled instanceof Promise) {
          this.await(i, polled);
          waiting = true;
          continue;
        }
        answer = polled;
      }
      if (answer.kind === 'end') {
        this.ended[i] = true;
        this.endedToReport.push(i);
        continue;
      }
      if (answer.kind === 'batch') {
        this.next = (i + 1) % n;
        const batch = { ...answer.batch, partition: packInputPartition(i, answer.batch.partition) };
        return this.report({ kind: 'batch', batch, deadLetters: this.packed(i, answer.deadLetters) });
      }
      if (answer.deadLetters?.length) return this.report({ kind: 'idle', deadLetters: this.packed(i, answer.deadLetters) });
    }
    if (this.ended.every(Boolean)) return { kind: 'end' };
    if (!waiting) return this.report({ kind: 'idle' });
    // Every input still running waits on a poll: answer with the first that settles.
    return Promise.race(this.pending.filter((p): p is Promise<SourcePoll<unknown>> => p !== undefined)).then(
      () => this.poll(),
      () => this.poll(),
    );
  }

  position(): UnionPosition {
    return {
      union: this.inputs.map((s, i) => (this.answered[i] === undefined ? s.position() : this.positionsBefore[i])),
      next: this.next,
    };
  }

  async commit(position: SourcePosition): Promise<void> {
    const { union } = position as UnionPosition;
    await Promise.all(this.inputs.map(async (s, i) => s.commit?.(union[i])));
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.inputs.map(async (s) => s.close?.()));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  }

  private await(i: number, polled: Promise<SourcePoll<unknown>>): void {
    // By the Source contract a pending poll is not yet covered by the input's position.
    this.positionsBefore[i] = this.inputs[i].position();
    const pending = polled.then(
      (answer) => {
        this.pending[i] = undefined;
        this.answered[i] = answer;
        return answer;
      },
      (error: unknown) => {
        this.pending[i] = undefined;
        this.failed[i] = error;
        throw error;
      },
    );
    // Handled by the poll that finds it in `failed`.
    pending.catch(() => undefined);
    this.pending[i] = pending;
  }

  /** Attaches the inputs that ended since the last answer. */
  private report(poll: Exclude<SourcePoll<unknown>, { kind: 'end' }>): SourcePoll<unknown> {
    if (this.endedToReport.length === 0) return poll;
    const endedInputs = this.endedToReport;
    this.endedToReport = [];
    return { ...poll, endedInputs };
  }

  private packed(input: number, letters: SourcePoll<unknown>['deadLetters']): SourcePoll<unknown>['deadLetters'] {
    if (!letters?.length) return undefined;
    return letters.map((l) =>
      l.position ? { ...l, position: { ...l.position, partition: packInputPartition(input, l.position.partition) } } : l,
    );
  }

  private checkPosition(position: SourcePosition): UnionPosition {
    const p = position as Partial<UnionPosition> | null;
    if (!p || !Array.isArray(p.union) || typeof p.next !== 'number') {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${this.name}: the checkpoint's source position is not a union's; use a new state directory or the same pipeline`,
      );
    }
    if (p.union.length !== this.inputs.length) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${this.name}: the checkpoint holds the positions of ${p.union.length} sources, this union reads ${this.inputs.length}; use a new state directory or the same pipeline`,
      );
    }
    return { union: p.union, next: p.next % this.inputs.length };
  }
}
