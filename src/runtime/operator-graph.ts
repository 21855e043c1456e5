import type { Batch } from '../core/batch.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { describeError, isStreamkitError, PipelineError, StreamkitError } from '../core/errors.js';
import { inputOfPartition } from '../core/input-partition.js';
import type { MetricSample, Metrics } from '../core/metrics.js';
import type { Operator, OperatorContext, Output, StateFingerprint } from '../core/operator.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import type { ResidentState } from '../core/resident-state.js';
import type { Sink } from '../core/sink.js';
import type { LateRecord } from '../core/window.js';
import type { OperatorStateChanges } from '../core/state-backend.js';
import { StateChangeCollector } from '../state/state-change-collector.js';
import { METRICS } from '../core/metric-catalogue.js';
import { matchRestoredState, type RestoreOptions, type StatefulOperatorIdentity } from './restore-check.js';
import { watermarkStepSize, WatermarkSteps } from './watermark-steps.js';

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

/** An operator of a plan with what identifies its state; a bare factory is one with neither set. */
export interface PlanOperator {
  /** Makes the operator; called once per run (and per partition task), so every run gets a fresh one. */
  make: () => Operator;
  /** The id its state is checkpointed under (`.uid(name)`); derived from its kind and place when absent. */
  uid?: string;
  /**
   * What its state means, for a restore to compare (the window's assigner and aggregators, dedup's
   * horizon). Default: the operator's own `stateFingerprint`. `operator: <name>` is always added.
   */
  fingerprint?: StateFingerprint;
}

/**
 * One entry of a plan node: an operator factory, an operator with its identity, a fan-out point, or
 * (only first) a fan-in point.
 */
export type PlanEntry = (() => Operator) | PlanOperator | PlanBranch | PlanUnion;

/** A linear run of operators (with fan-out and fan-in points) and where its results go. */
export interface PlanNode {
  /** The operators in order; `PlanBranch` entries fan out, a leading `PlanUnion` fans in. */
  operators: PlanEntry[];
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

/** A checkpoint as a graph restores it: the state per uid and, from state format 2 on, the fingerprints. */
export interface RestoredGraphState {
  operators: ReadonlyMap<string, Iterable<[string, unknown]>>;
  fingerprints?: ReadonlyMap<string, StateFingerprint>;
}

/** The fingerprint part of an operator whose keyed state is resident in the backend's store. */
const RESIDENT_STORAGE = 'disk';

/** A stateful operator of the running graph with its identity. */
interface StatefulOperator extends StatefulOperatorIdentity {
  op: Operator;
}

interface Environment {
  metrics: Metrics;
  now: () => number;
  partitions: () => readonly number[];
  /** The partitions of one input of a union source. */
  inputPartitions: (input: number) => readonly number[];
  groups: SinkGroup[];
  stateful: StatefulOperator[];
  /** Every operator id handed out, to refuse a `.uid()` given twice. */
  uids: Set<string>;
  /** The backend's store of an operator's resident keyed state, when it keeps state on disk. */
  residentState: (uid: string) => ResidentState | undefined;
  /** The uids of operators that took a resident store: their snapshots are always incremental. */
  resident: Set<string>;
  /** The watermark work left unfinished, shared by every segment of the graph. */
  steps: WatermarkSteps;
  /** `OperatorContext.watermarkStep`. */
  watermarkStep: number;
  /** Every segment, in the order they were made (a restore looks in each for an unfinished watermark). */
  segments: Segment[];
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
  private readonly steps: WatermarkSteps;
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
    this.steps = env.steps;
    this.contexts = operators.map((_, i) => ({
      uid: uids[i],
      watermarkStep: env.watermarkStep,
      now: env.now,
      sourcePartitions: env.partitions,
      metrics: env.metrics,
      residentState: () => {
        const store = env.residentState(uids[i]);
        if (store) {
          env.resident.add(uids[i]);
          // Its state is in another layout than on the heap: a checkpoint of either refuses the other,
          // and one of another resident layout version too.
          const stateful = env.stateful.find((o) => o.uid === uids[i]);
          const layout = operators[i].residentLayout;
          if (stateful) {
            stateful.fingerprint = {
              ...stateful.fingerprint,
              storage: RESIDENT_STORAGE,
              ...(layout === undefined ? {} : { residentLayout: layout }),
            };
          }
        }
        return store;
      },
    }));
    this.outputs = operators.map((_, i) => this.outputOf(i, env.metrics));
    operators.forEach((op, i) => op.open?.(this.contexts[i]));
    env.segments.push(this);
  }

  /**
   * After a restore from a checkpoint taken between two steps of a watermark: delivers that
   * watermark again to the operator that had not finished it (see `Operator.unfinishedWatermark`).
   */
  resumeUnfinishedWatermarks(): void {
    this.operators.forEach((op, i) => {
      const time = op.unfinishedWatermark?.();
      if (time !== undefined) this.forwardWatermark(i, time);
    });
  }

  push(batch: Batch): void {
    if (this.steps.blocked) this.steps.defer(() => this.deliver(0, batch));
    else this.deliver(0, batch);
  }

  /** A batch of one input of the union before this segment: to `processInput` when its first operator has one. */
  pushInput(input: number, batch: Batch): void {
    const first = this.operators[0];
    if (!first?.processInput) this.push(batch);
    else if (this.steps.blocked) this.steps.defer(() => this.call(0, () => first.processInput!(input, batch, this.outputs[0])));
    else this.call(0, () => first.processInput!(input, batch, this.outputs[0]));
  }

  /** Hands `batch` to operator `i`; past the last it leaves the segment. */
  private deliver(i: number, batch: Batch): void {
    if (i >= this.operators.length) this.exit(batch);
    else this.call(i, () => this.operators[i].processBatch(batch, this.outputs[i]));
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
    this.tickFrom(0, now);
  }

  /** Processing-time work of operators `from`…, then of the next segments (after a stopped watermark, when one stops). */
  private tickFrom(from: number, now: number): void {
    for (let i = from; i < this.operators.length; i++) {
      if (this.steps.blocked) {
        this.steps.defer(() => this.tickFrom(i, now));
        return;
      }
      const op = this.operators[i];
      if (op.onTick) this.call(i, () => op.onTick!(now, this.outputs[i]));
    }
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
    let out: MetricSample | undefined;
    const group = this.group;
    return {
      emit: (batch: Batch) => {
        (out ??= metrics.counter(METRICS.recordsOut, { operator: uid })).value += batch.values.length;
        if (this.steps.blocked) this.steps.defer(() => this.deliver(i + 1, batch));
        else this.deliver(i + 1, batch);
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

  /**
   * Delivers a watermark to operator `i` (ignoring regressions); past the last it leaves the
   * segment. An operator that stops in the middle of it is continued by the graph's steps.
   */
  private forwardWatermark(i: number, time: number): void {
    if (this.steps.blocked) {
      this.steps.defer(() => this.forwardWatermark(i, time));
      return;
    }
    if (i >= this.operators.length) {
      if (time <= this.lastExitWatermark) return;
      this.lastExitWatermark = time;
      for (const s of this.next) s.watermark(time);
      return;
    }
    if (time <= this.lastWatermark[i]) return;
    this.lastWatermark[i] = time;
    const op = this.operators[i];
    if (!op.processWatermark) {
      this.forwardWatermark(i + 1, time);
      return;
    }
    const out = this.outputs[i];
    if (this.call(i, () => op.processWatermark!(time, out)) !== false) return;
    if (!op.continueWatermark) {
      throw new PipelineError(`operator ${this.contexts[i].uid} returned false from processWatermark but has no continueWatermark`);
    }
    this.steps.stopped(
      () => this.call(i, () => op.continueWatermark!(out)),
      () => op.snapshotsMidWatermark?.() === true,
    );
  }

  private call<T>(i: number, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (isStreamkitError(error)) throw error;
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
 * Operator ids. An operator that keeps state (it has `snapshotState`) is checkpointed under a
 * stable id, so that stateless changes (a `.map()` added or removed) leave it where it was:
 * - the `.uid(name)` the pipeline gave it, unique in the pipeline, kept wherever it moves;
 * - otherwise `<kind>#<n>`, the n-th operator of its kind without a `.uid()` along its line,
 *   prefixed in a branch by the branch path: `window#0`, `dedup#0`, `b0.1/window#0` (the second
 *   branch of the line's first fan-out). Adding, removing or moving an operator of another kind,
 *   or one with a `.uid()`, changes no derived id.
 * Stateless operators are numbered along their line, `<i>-<name>` (`0-withTimestamps`), as in
 * metrics. State format 1 named stateful operators that way too; {@link matchRestoredState} maps it.
 */
export class OperatorGraph {
  readonly groups: SinkGroup[] = [];
  private readonly stateful: StatefulOperator[] = [];
  /** Uids of the operators whose keyed state is resident in the backend's store. */
  private readonly resident = new Set<string>();
  private readonly root: Segment | UnionRouter;
  /** Checkpointed uids the next snapshot removes from the backend (dropped, or rewritten under a new id). */
  private retiring: string[] = [];
  private readonly steps = new WatermarkSteps();
  private readonly segments: Segment[] = [];

  constructor(
    plan: PlanNode,
    metrics: Metrics,
    now: () => number,
    partitions: () => readonly number[],
    inputPartitions: (input: number) => readonly number[] = () => [],
    residentState: (uid: string) => ResidentState | undefined = () => undefined,
  ) {
    const env: Environment = {
      residentState,
      resident: this.resident,
      metrics,
      now,
      partitions,
      inputPartitions,
      groups: this.groups,
      stateful: this.stateful,
      uids: new Set(),
      steps: this.steps,
      watermarkStep: watermarkStepSize(),
      segments: this.segments,
    };
    this.root = build(plan, '', [], [], env, 0, partitions).head;
  }

  /** Every sink of every group, once each. */
  allSinks(): Sink<any>[] {
    const all = new Set<Sink<any>>();
    for (const g of this.groups) for (const s of [...g.sinks, ...g.lateSinks, ...g.deadSinks]) all.add(s);
    return [...all];
  }

  /** The ids of the stateful operators, in pipeline order. */
  statefulUids(): string[] {
    return this.stateful.map((s) => s.uid);
  }

  /**
   * The query hook of the stateful operator with id `uid`: `undefined` when there is no such
   * operator, `null` when it keeps state but offers no queries.
   */
  stateQuery(uid: string): KeyedStateQuery | null | undefined {
    const found = this.stateful.find((s) => s.uid === uid);
    return found === undefined ? undefined : (found.op.stateQuery ?? null);
  }

  push(batch: Batch): void {
    this.refuseWhileStepping('a batch');
    this.root.push(batch);
  }

  /**
   * True while an operator has a watermark to finish (it stopped after a step of results): call
   * {@link OperatorGraph.continueWatermark} and drain the outputs until it is false, before the
   * next batch, tick or checkpoint.
   */
  hasPendingWatermark(): boolean {
    return this.steps.pending;
  }

  /** Works one step further on the pending watermark (and what waited for it). */
  continueWatermark(): void {
    this.steps.step();
  }

  /**
   * True when a checkpoint may be taken now: no watermark is pending, or the one pending can be
   * checkpointed between its steps (see `WatermarkSteps.checkpointable`).
   */
  canSnapshot(): boolean {
    return !this.steps.pending || this.steps.checkpointable;
  }

  /**
   * Call once after a restore, before the first batch: a watermark the checkpoint was taken in
   * the middle of is delivered again to its operator, which finishes it (in steps, like any
   * other: continue it until {@link OperatorGraph.hasPendingWatermark} is false).
   */
  resumeUnfinishedWatermarks(): void {
    for (const segment of this.segments) segment.resumeUnfinishedWatermarks();
  }

  /** A batch or snapshot must not come between the steps of a watermark: the loop finishes it first. */
  private refuseWhileStepping(what: string): void {
    if (this.steps.pending) throw new Error(`${what} came while a watermark was worked through in steps: the runtime finishes it first`);
  }

  /** Dead letters a source found (unparseable bytes) go to the root's dead-letter sinks. */
  sourceDeadLetters(letters: DeadLetter[]): void {
    this.root.deadLetters(letters);
  }

  /** Processing-time work; while a watermark is stopped, each operator's waits until the watermark has passed it. */
  tick(now: number): void {
    this.root.tick(now);
  }

  endOfInput(): void {
    this.refuseWhileStepping('the end of input');
    this.root.watermark(Infinity);
  }

  /**
   * Inputs of a union source that ended: each one's operators see the end of their input (every
   * window before the union fires), and the union's watermark no longer waits for them.
   */
  inputsEnded(inputs: readonly number[]): void {
    if (!(this.root instanceof UnionRouter)) return;
    this.refuseWhileStepping('the end of an input');
    for (const input of inputs) this.root.endInput(input);
  }

  /**
   * Every stateful operator's changes since the last snapshot (all of its state when `full`), with
   * its fingerprint; after a restore that dropped or renamed state, also a `dropped` entry for each
   * uid the backend must remove.
   */
  snapshot(full: boolean): Map<string, OperatorStateChanges> {
    if (!this.canSnapshot()) this.refuseWhileStepping('a checkpoint');
    const changes = new Map<string, OperatorStateChanges>();
    for (const { op, uid, fingerprint } of this.stateful) {
      // Encodes each value as it is put: operators keep mutating their live state while the
      // barrier waits for the sinks, and the checkpoint must hold the state as of the barrier.
      // Resident state is on disk already: its snapshot is only ever what changed.
      const resident = this.resident.has(uid);
      const writer = new StateChangeCollector(uid, full && !resident);
      op.snapshotState!(writer, full && !resident);
      changes.set(uid, resident ? { ...writer.changes(), fingerprint, resident } : { ...writer.changes(), fingerprint });
    }
    for (const uid of this.retiring) {
      if (!changes.has(uid)) changes.set(uid, { puts: new Map(), deletes: new Set(), full: true, dropped: true });
    }
    this.retiring = [];
    return changes;
  }

  /**
   * Loads a checkpoint into the operators, after checking that it restores exactly
   * ({@link matchRestoredState}): state maps by operator id, and a fingerprint that changed or an
   * operator that vanished is refused with a `StateError`, unless `options` drops its state.
   * @param restored the checkpoint's state per uid, and its fingerprints.
   * @param options `run({ restore })`.
   * @param where names the checkpoint in messages (`checkpoint 12`).
   */
  restore(restored: RestoredGraphState, options: RestoreOptions = {}, where = 'the checkpoint'): void {
    const { sources, retired } = matchRestoredState(this.stateful, restored, options, where);
    for (const { op, uid } of this.stateful) {
      const source = sources.get(uid);
      const entries = source === undefined ? undefined : restored.operators.get(source);
      if (entries && op.restoreState) op.restoreState(entries);
    }
    this.retiring = retired;
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
  const kinds = new Map<string, number>();
  for (const entry of entries) {
    if (typeof entry === 'function' || 'make' in entry) {
      const { make, uid, fingerprint } = typeof entry === 'function' ? { make: entry } : (entry as PlanOperator);
      const op = make();
      const position = `${prefix}${index++}-${op.name}`;
      let id = position;
      if (typeof op.snapshotState === 'function') {
        if (uid === undefined) {
          const n = kinds.get(op.name) ?? 0;
          kinds.set(op.name, n + 1);
          id = `${prefix}${op.name}#${n}`;
        } else id = uid;
        env.stateful.push({
          op,
          uid: id,
          legacyUid: position,
          fingerprint: { operator: op.name, ...(fingerprint ?? op.stateFingerprint) },
        });
      } else if (uid !== undefined) {
        throw new PipelineError(`.uid(${JSON.stringify(uid)}) names the state of operator ${op.name}, which keeps none`);
      }
      if (env.uids.has(id)) {
        throw new PipelineError(
          `operator id ${JSON.stringify(id)} is used twice in this pipeline: give each stateful operator its own .uid(…)`,
        );
      }
      env.uids.add(id);
      pending.push(op);
      pendingUids.push(id);
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
    env.steps,
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
    private readonly steps: WatermarkSteps,
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
    if (this.steps.blocked) this.steps.defer(() => this.merge.combine());
    else this.merge.combine();
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
