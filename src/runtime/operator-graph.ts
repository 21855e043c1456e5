import type { Batch } from '../core/batch.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { describeError, StreamkitError } from '../core/errors.js';
import type { MetricSample, Metrics } from '../core/metrics.js';
import type { Operator, OperatorContext, Output } from '../core/operator.js';
import type { Sink } from '../core/sink.js';
import type { LateRecord } from '../core/window.js';
import type { OperatorStateChanges } from '../core/state-backend.js';
import { StateChangeCollector } from '../state/state-change-collector.js';
import { METRICS } from '../core/metric-catalogue.js';

/** A fan-out point: every record and watermark reaching it also flows into each branch. */
export interface PlanBranch {
  branches: PlanNode[];
}

/** A linear run of operators (with fan-out points) and where its results go. */
export interface PlanNode {
  /** Operator factories, so every run gets fresh operators; `PlanBranch` entries fan out. */
  operators: Array<(() => Operator) | PlanBranch>;
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
  groups: SinkGroup[];
  operators: Array<{ op: Operator; uid: string }>;
}

/**
 * A straight run of operators. What the last one emits goes to the node's sink group (when the
 * segment ends the node) or to the next segments (at a fan-out point).
 */
class Segment {
  private readonly outputs: Output[];
  private readonly contexts: OperatorContext[];
  private readonly lastWatermark: number[];
  private lastExitWatermark = -Infinity;
  next: Segment[] = [];

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

  watermark(time: number): void {
    this.forwardWatermark(0, time);
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
        (out ??= metrics.counter(METRICS.recordsOut, { operator: uid })).value += batch.values.length;
        if (isLast) this.exit(batch);
        else this.call(i + 1, () => next.processBatch(batch, this.outputs[i + 1]));
      },
      watermark: (time: number) => this.forwardWatermark(i + 1, time),
      late: (item) => {
        metrics.inc(METRICS.recordsLate, { operator: uid });
        group.late.push(item);
      },
      deadLetter: (letter) => {
        metrics.inc(METRICS.deadLetters, { operator: uid });
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
  private readonly root: Segment;

  constructor(plan: PlanNode, metrics: Metrics, now: () => number, partitions: () => readonly number[]) {
    const env: Environment = { metrics, now, partitions, groups: this.groups, operators: this.operators };
    this.root = build(plan, '', [], [], env);
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

function build(
  node: PlanNode,
  prefix: string,
  inheritedLate: Sink<LateRecord>[],
  inheritedDead: Sink<DeadLetter>[],
  env: Environment,
): Segment {
  const group: SinkGroup = {
    sinks: node.sinks,
    lateSinks: node.lateSink ? [node.lateSink] : inheritedLate,
    deadSinks: node.deadLetterSink ? [node.deadLetterSink] : inheritedDead,
    results: [],
    late: [],
    dead: [],
  };
  env.groups.push(group);
  // Split the node's operator list at fan-out points into segments chained one after another.
  let index = 0;
  let fanOuts = 0;
  let head: Segment | undefined;
  let tail: Segment | undefined;
  let pending: Operator[] = [];
  let pendingUids: string[] = [];
  const close = (terminal: boolean) => {
    const segment = new Segment(pending, pendingUids, group, terminal, env);
    if (tail) tail.next.push(segment);
    else head = segment;
    tail = segment;
    pending = [];
    pendingUids = [];
  };
  for (const entry of node.operators) {
    if (typeof entry === 'function') {
      const op = entry();
      pending.push(op);
      pendingUids.push(`${prefix}${index++}-${op.name}`);
      continue;
    }
    close(false);
    const at = fanOuts++;
    entry.branches.forEach((branch, b) => {
      tail!.next.push(build(branch, `${prefix}b${at}.${b}/`, group.lateSinks, group.deadSinks, env));
    });
  }
  close(true);
  return head!;
}
