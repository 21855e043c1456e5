import type { Batch } from '../core/batch.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { describeError, StreamkitError } from '../core/errors.js';
import { inputOfPartition } from '../core/input-partition.js';
import type { MetricSample, Metrics } from '../core/metrics.js';
import type { Operator, OperatorContext, Output } from '../core/operator.js';
import type { Sink } from '../core/sink.js';
import type { LateRecord } from '../core/window.js';
import type { OperatorStateChanges } from '../core/state-backend.js';
import { StateChangeCollector } from '../state/state-change-collector.js';

/** A fan-out point: every record and watermark reaching it also flows into each branch. */
export interface PlanBranch {
  branches: PlanNode[];
}

/**
 * A fan-in point, only ever a node's first entry: the streams of `union` (each from its own
 * sources, numbered in order: the first input's sources first) continue as one. The operator after
 * it receives each input's batches through `processInput` when it has one (a join).
 */
export interface PlanUnion {
  union: PlanNode[];
}

/** A linear run of operators (with fan-out and fan-in points) and where its results go. */
export interface PlanNode {
  /** Operator factories, so every run gets fresh operators; `PlanBranch` entries fan out, a leading `PlanUnion` fans in. */
  operators: Array<(() => Operator) | PlanBranch | PlanUnion>;
  sinks: Sink[];
  /** Late records of this node's windows; a branch without one uses its parent's. */
  lateSink?: Sink<LateRecord>;
  /** Bad records found in this node; a branch without one uses its parent's. */
  deadLetterSink?: Sink<DeadLetter>;
}

/** Where one node's output goes, and what it produced since the last drain. */
export interface SinkGroup {
  sinks: Sink[];
  lateSinks: Sink<LateRecord>[];
  deadSinks: Sink<DeadLetter>[];
  results: unknown[];
  late: LateRecord[];
  dead: DeadLetter[];
}

interface Environment {
  metrics: Metrics;
  now: () => number;
  partitions: () => readonly number[];
  /** The partitions of one input of a union source. */
  inputPartitions: (input: number) => readonly number[];
  groups: SinkGroup[];
  operators: Array<{ op: Operator; uid: string }>;
}

/** Where a segment's output goes: the next segments, or one input of a union's merge. */
interface Downstream {
  push(batch: Batch): void;
  watermark(time: number): void;
  tick(now: number): void;
}

/**
 * A straight run of operators. What the last one emits goes to the node's sink group (when the
 * segment ends the node) or to the next segments (at a fan-out point).
 */
class Segment implements Downstream {
  private readonly outputs: Output[];
  private readonly contexts: OperatorContext[];
  private readonly lastWatermark: number[];
  private lastExitWatermark = -Infinity;
  next: Downstream[] = [];

  constructor(
    private readonly operators: Operator[],
    uids: string[],
    private readonly group: SinkGroup,
    /** True when results leave the graph here (the node's last segment). */
    private readonly terminal: boolean,
    env: Environment,
  ) {
    this.lastWatermark = operators.map(() => -Infinity);
    this.contexts = operators.map((_, i) => ({ uid: uids[i], now: env.now, sourcePartitions: env.partitions, metrics: env.metrics }));
    this.outputs = operators.map((_, i) => this.outputOf(i, env.metrics));
    operators.forEach((op, i) => {
      env.operators.push({ op, uid: uids[i] });
      op.open?.(this.contexts[i]);
    });
  }

  push(batch: Batch): void {
    if (this.operators.length === 0) this.exit(batch);
    else this.call(0, () => this.operators[0].processBatch(batch, this.outputs[0]));
  }

  /** A batch of one input of the union before this segment: to `processInput` when its first operator has one. */
  pushInput(input: number, batch: Batch): void {
    const first = this.operators[0];
    if (first?.processInput) this.call(0, () => first.processInput!(input, batch, this.outputs[0]));
    else this.push(batch);
  }

  watermark(time: number): void {
    this.forwardWatermark(0, time);
  }

  /** What the last watermark-making operator here says of idleness; `undefined` without one. */
  isIdle(): boolean | undefined {
    for (let i = this.operators.length - 1; i >= 0; i--) {
      const op = this.operators[i];
      if (op.isIdle) return op.isIdle();
    }
    return undefined;
  }

  tick(now: number): void {
    this.operators.forEach((op, i) => {
      if (op.onTick) this.call(i, () => op.onTick!(now, this.outputs[i]));
    });
    for (const s of this.next) s.tick(now);
  }

  deadLetters(letters: DeadLetter[]): void {
    for (const letter of letters) this.group.dead.push(letter);
  }

  private exit(batch: Batch): void {
    if (this.terminal) {
      const results = this.group.results;
      for (const v of batch.values) results.push(v);
    }
    // Operators never mutate a batch they receive, so every branch can share it.
    for (const s of this.next) s.push(batch);
  }

  private outputOf(i: number, metrics: Metrics): Output {
    const uid = this.contexts[i].uid;
    const isLast = i === this.operators.length - 1;
    const next = this.operators[i + 1];
    let out: MetricSample | undefined;
    const group = this.group;
    return {
      emit: (batch: Batch) => {
        (out ??= metrics.counter('records_out', { operator: uid })).value += batch.values.length;
        if (isLast) this.exit(batch);
        else this.call(i + 1, () => next.processBatch(batch, this.outputs[i + 1]));
      },
      watermark: (time: number) => this.forwardWatermark(i + 1, time),
      late: (item) => {
        metrics.inc('records_late', { operator: uid });
        group.late.push(item);
      },
      deadLetter: (letter) => {
        metrics.inc('dead_letters', { operator: uid });
        group.dead.push(letter);
      },
    };
  }

  /** Delivers a watermark to operator `i` (ignoring regressions); past the last it leaves the segment. */
  private forwardWatermark(i: number, time: number): void {
    if (i >= this.operators.length) {
      if (time <= this.lastExitWatermark) return;
      this.lastExitWatermark = time;
      for (const s of this.next) s.watermark(time);
      return;
    }
    if (time <= this.lastWatermark[i]) return;
    this.lastWatermark[i] = time;
    const op = this.operators[i];
    if (op.processWatermark) this.call(i, () => op.processWatermark!(time, this.outputs[i]));
    else this.forwardWatermark(i + 1, time);
  }

  private call(i: number, run: () => void): void {
    try {
      run();
    } catch (error) {
      if (error instanceof StreamkitError) throw error;
      throw new StreamkitError('USER_FUNCTION_FAILED', `operator ${this.contexts[i].uid} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
}

/**
 * The running operators of a pipeline: a tree of segments rooted at the source, with a sink group
 * per plan node. Everything here is synchronous; the runtime drains the groups between awaits.
 *
 * Operator uids (the namespaces of their state) are `<i>-<name>` on the main line, numbered along
 * it, and `<parent prefix>b<fan-out index>.<branch index>/<i>-<name>` in branches: stable as long
 * as the pipeline's shape is.
 */
export class OperatorGraph {
  readonly groups: SinkGroup[] = [];
  private readonly operators: Array<{ op: Operator; uid: string }> = [];
  private readonly root: Segment | UnionRouter;

  constructor(
    plan: PlanNode,
    metrics: Metrics,
    now: () => number,
    partitions: () => readonly number[],
    inputPartitions: (input: number) => readonly number[] = () => [],
  ) {
    const env: Environment = { metrics, now, partitions, inputPartitions, groups: this.groups, operators: this.operators };
    this.root = build(plan, '', [], [], env, 0, partitions).head;
  }

  /** Every sink of every group, once each. */
  allSinks(): Sink<any>[] {
    const all = new Set<Sink<any>>();
    for (const g of this.groups) for (const s of [...g.sinks, ...g.lateSinks, ...g.deadSinks]) all.add(s);
    return [...all];
  }

  push(batch: Batch): void {
    this.root.push(batch);
  }

  /** Dead letters a source found (unparseable bytes) go to the root's dead-letter sinks. */
  sourceDeadLetters(letters: DeadLetter[]): void {
    this.root.deadLetters(letters);
  }

  tick(now: number): void {
    this.root.tick(now);
  }

  endOfInput(): void {
    this.root.watermark(Infinity);
  }

  /**
   * Inputs of a union source that ended: each one's operators see the end of their input (every
   * window before the union fires), and the union's watermark no longer waits for them.
   */
  inputsEnded(inputs: readonly number[]): void {
    if (!(this.root instanceof UnionRouter)) return;
    for (const input of inputs) this.root.endInput(input);
  }

  snapshot(full: boolean): Map<string, OperatorStateChanges> {
    const changes = new Map<string, OperatorStateChanges>();
    for (const { op, uid } of this.operators) {
      if (!op.snapshotState) continue;
      // Encodes each value as it is put: operators keep mutating their live state while the
      // barrier waits for the sinks, and the checkpoint must hold the state as of the barrier.
      const writer = new StateChangeCollector(uid, full);
      op.snapshotState(writer, full);
      changes.set(uid, writer.changes());
    }
    return changes;
  }

  restore(state: Map<string, Iterable<[string, unknown]>>): void {
    for (const { op, uid } of this.operators) {
      const entries = state.get(uid);
      if (entries && op.restoreState) op.restoreState(entries);
    }
  }
}

/** A node as built: where its batches enter, its last segment, and whether its input is idle. */
interface BuiltNode {
  head: Segment | UnionRouter;
  tail: Segment;
  idle: () => boolean;
}

/** How many sources feed a node: one, or the sum of its union's inputs. */
function sourceCount(node: PlanNode): number {
  const first = node.operators[0];
  if (first === undefined || typeof first === 'function' || !('union' in first)) return 1;
  return first.union.reduce((sum, input) => sum + sourceCount(input), 0);
}

function build(
  node: PlanNode,
  prefix: string,
  inheritedLate: Sink<LateRecord>[],
  inheritedDead: Sink<DeadLetter>[],
  env: Environment,
  firstSource: number,
  partitions: () => readonly number[],
  terminal = true,
): BuiltNode {
  const group: SinkGroup = {
    sinks: node.sinks,
    lateSinks: node.lateSink ? [node.lateSink] : inheritedLate,
    deadSinks: node.deadLetterSink ? [node.deadLetterSink] : inheritedDead,
    results: [],
    late: [],
    dead: [],
  };
  env.groups.push(group);
  // Operators before a union's merge see only their own source's partitions.
  const local: Environment = { ...env, partitions };
  // Split the node's operator list at fan-out points into segments chained one after another.
  let index = 0;
  let fanOuts = 0;
  let head: Segment | undefined;
  let tail: Segment | undefined;
  const line: Segment[] = [];
  let pending: Operator[] = [];
  let pendingUids: string[] = [];
  const close = (last: boolean) => {
    const segment = new Segment(pending, pendingUids, group, last && terminal, local);
    line.push(segment);
    if (tail) tail.next.push(segment);
    else head = segment;
    tail = segment;
    pending = [];
    pendingUids = [];
  };
  let entries = node.operators;
  let fanIn: { inputs: BuiltNode[]; counts: number[]; merge: UnionMerge } | undefined;
  const first = entries[0];
  if (first !== undefined && typeof first !== 'function' && 'union' in first) {
    entries = entries.slice(1);
    const counts = first.union.map(sourceCount);
    let start = firstSource;
    const inputs = first.union.map((input, i) => {
      const from = start;
      start += counts[i];
      const inputPartitions =
        counts[i] === 1
          ? () => env.inputPartitions(from)
          : () => {
              const all: number[] = [];
              for (let s = from; s < from + counts[i]; s++) all.push(...env.inputPartitions(s));
              return all;
            };
      return build(input, `${prefix}u${i}/`, group.lateSinks, group.deadSinks, env, from, inputPartitions, input.sinks.length > 0);
    });
    fanIn = { inputs, counts, merge: new UnionMerge(inputs.map((input) => input.idle)) };
  }
  for (const entry of entries) {
    if (typeof entry === 'function') {
      const op = entry();
      pending.push(op);
      pendingUids.push(`${prefix}${index++}-${op.name}`);
      continue;
    }
    if ('union' in entry) throw new TypeError('a union can only start a stream');
    close(false);
    const at = fanOuts++;
    entry.branches.forEach((branch, b) => {
      tail!.next.push(
        build(branch, `${prefix}b${at}.${b}/`, group.lateSinks, group.deadSinks, env, firstSource, partitions).head as Segment,
      );
    });
  }
  close(true);
  const lastSegment = tail!;
  const idleOfLine = (): boolean | undefined => {
    for (let i = line.length - 1; i >= 0; i--) {
      const idle = line[i].isIdle();
      if (idle !== undefined) return idle;
    }
    return undefined;
  };
  if (!fanIn) return { head: head!, tail: lastSegment, idle: () => idleOfLine() ?? false };
  const { inputs, counts, merge } = fanIn;
  merge.connect(head!);
  inputs.forEach((input, i) => input.tail.next.push(merge.input(i)));
  const router = new UnionRouter(
    inputs.map((input) => input.head),
    counts,
    firstSource,
    merge,
    head!,
    group,
  );
  return { head: router, tail: lastSegment, idle: () => idleOfLine() ?? merge.allIdle() };
}

/**
 * The merge of a union: each input's watermark, and the union's, which is the minimum over the
 * inputs that are neither idle nor ended (Flink's rule for partitions, applied to inputs). An input
 * that ended (`+Infinity`) never holds it back; while every input still running is idle it holds.
 * Never goes backwards.
 */
class UnionMerge {
  private readonly watermarks: number[];
  private forwarded = -Infinity;
  private continuation!: Segment;

  constructor(private readonly idle: Array<() => boolean>) {
    this.watermarks = idle.map(() => -Infinity);
  }

  connect(continuation: Segment): void {
    this.continuation = continuation;
  }

  /** The end of input `i`'s line: its batches go on with the input's index, its watermark into the minimum. */
  input(i: number): Downstream {
    return {
      push: (batch) => this.continuation.pushInput(i, batch),
      watermark: (time) => {
        if (time <= this.watermarks[i]) return;
        this.watermarks[i] = time;
        this.combine();
      },
      tick: () => undefined,
    };
  }

  /** Recomputes the union's watermark (after an input's watermark moved, or idleness changed) and forwards it if it advanced. */
  combine(): void {
    let min = Infinity;
    let running = 0;
    let active = 0;
    for (let i = 0; i < this.watermarks.length; i++) {
      const w = this.watermarks[i];
      if (w === Infinity) continue;
      running++;
      if (this.idle[i]()) continue;
      active++;
      if (w < min) min = w;
    }
    if (running > 0 && active === 0) return;
    if (min > this.forwarded) {
      this.forwarded = min;
      this.continuation.watermark(min);
    }
  }

  /** True when some input still runs and every running input is idle. */
  allIdle(): boolean {
    let running = 0;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.watermarks[i] === Infinity) continue;
      running++;
      if (!this.idle[i]()) return false;
    }
    return running > 0;
  }
}

/** The entry of a union node: sends each batch to the input its source belongs to. */
class UnionRouter {
  private readonly ends: number[] = [];

  constructor(
    private readonly heads: Array<Segment | UnionRouter>,
    counts: number[],
    firstSource: number,
    private readonly merge: UnionMerge,
    private readonly continuation: Segment,
    private readonly group: SinkGroup,
  ) {
    let end = firstSource;
    for (const count of counts) this.ends.push((end += count));
  }

  push(batch: Batch): void {
    this.heads[this.inputOf(inputOfPartition(batch.partition))].push(batch);
  }

  watermark(time: number): void {
    for (const head of this.heads) head.watermark(time);
  }

  tick(now: number): void {
    for (const head of this.heads) head.tick(now);
    // Idleness is decided on ticks: an input that became idle (or active) changes the minimum.
    this.merge.combine();
    this.continuation.tick(now);
  }

  deadLetters(letters: DeadLetter[]): void {
    for (const letter of letters) {
      const partition = letter.position?.partition;
      if (partition === undefined) this.group.dead.push(letter);
      else this.heads[this.inputOf(inputOfPartition(partition))].deadLetters([letter]);
    }
  }

  /** Source `source` (numbered over the whole union) ended. */
  endInput(source: number): void {
    const head = this.heads[this.inputOf(source)];
    if (head instanceof UnionRouter) head.endInput(source);
    else head.watermark(Infinity);
  }

  private inputOf(source: number): number {
    for (let i = 0; i < this.ends.length; i++) if (source < this.ends[i]) return i;
    throw new RangeError(`no input of this union reads source ${source}`);
  }
}
