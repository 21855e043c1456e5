import type { Batch } from '../core/batch.js';
import { PipelineError, rejectionReason } from '../core/errors.js';
import { decodeKey, encodeKey } from '../core/key-encoding.js';
import type { StateCell } from '../core/keyed-state.js';
import { METRICS } from '../core/metric-catalogue.js';
import type { MetricSample } from '../core/metrics.js';
import { DEFAULT_WATERMARK_STEP, type Operator, type OperatorContext, type Output, type StateWriter } from '../core/operator.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import { keyedState, type KeyedStateService } from '../state/keyed-state-service.js';
import { HeldProbes, type ProbeRecord } from './held-probes.js';
import type { LookupSpec } from './lookup-options.js';
import { decodeStoredVersion, TableVersions, type StoredVersion } from './table-versions.js';
import { RESIDENT_LOOKUP_LAYOUT, ResidentLookupState } from './resident-lookup-state.js';
import type { ResidentState } from '../core/resident-state.js';
import { checkedJoinProgress } from './join-progress.js';

/** The two inputs of a lookup join, by the index the union before it gives them. */
const STREAM = 0;
const TABLE = 1;

/** The time of a static table's rows: valid from the beginning of time. */
const STATIC_ROW_TIME = Number.MIN_SAFE_INTEGER;

/**
 * State keys, layout `l1`: `l1/m` holds `{ watermark, seq, kind, allowedLateness, table }` (a
 * restore with other options is refused); `l1/v/<key text>/<sortableTime(t)>` holds a table row
 * version (`[1, row]`, or `[0]` for a delete), a key's versions one range in time order;
 * `l1/p/<sortableTime(t)>/<seq>` holds a stream record waiting for the watermark.
 */
const LAYOUT = 'l1';
const META_KEY = `${LAYOUT}/m`;
const VERSION_PREFIX = `${LAYOUT}/v/`;
const HELD_PREFIX = `${LAYOUT}/p/`;

/** What the lookup needs of the table: its key and, optionally, which rows are deletes. */
export interface LookupTableSide<R> {
  keyOf: (row: R) => unknown;
  isDelete?: (row: R) => boolean;
}

/**
 * The event-time lookup (temporal) join of a stream with a table (Flink's event-time temporal
 * join `FOR SYSTEM_TIME AS OF`, Kafka Streams' stream-table join over a versioned store). Input 0
 * is the stream, input 1 the table's upserts and deletes. With watermark `W` (the minimum of both
 * inputs') and lateness `L`:
 *
 * - A stream record at `t` looking up key `k` joins the version of `k` valid at `t`: the one with
 *   the greatest time `<= t`; none, or a delete, means no row. It is answered once `W >= t`, when
 *   every table version at or before `t` has arrived, so the answer does not depend on arrival
 *   order or batch sizes. A record at `t <= W` within lateness (`t > W - L`) is answered at once.
 * - A record at `t <= W - L` is late: the versions it needs may be gone.
 * - A static table (a stream without event time) has every row at the beginning of time; its
 *   input's watermark stays at -∞ until it ends, so it is read completely before any record joins.
 *   From then on its rows never change: every record is answered at once, none is late (a record
 *   behind the watermark stays as late downstream as it came).
 * - Versions older than a key's newest at or before `W - L` are dropped (so is that one when it
 *   is a delete). A table row behind the watermark is still applied, to records not answered yet.
 * - The watermark forwarded is `W - L`: a result (at its record's time) is never behind it.
 * - A function that throws dead-letters the record (a key function, the lookup function), or the
 *   table row (its key function, `isDelete`).
 *
 * Invariant: every stream record ends in exactly one of: a result with a row (`lookup_matched`),
 * an unmatched record (`lookup_unmatched`: emitted with `null` for `left`, dropped for `inner`),
 * the late output, the dead letters.
 */
export class LookupJoinOperator<T, R, O> implements Operator<unknown, O> {
  readonly name = 'lookup';
  /** The layout of its state in `levelState(dir, { memory })`, recorded in its fingerprint. */
  readonly residentLayout = RESIDENT_LOOKUP_LAYOUT;
  private uid = 'lookup';
  private readonly state: KeyedStateService = keyedState('lookup', LAYOUT);
  private readonly meta: StateCell = this.state.cell({
    key: META_KEY,
    required: true,
    value: () => ({ watermark: this.watermark, seq: this.seq, ...this.spec }),
    restore: (value) => this.restoreMeta(value),
  });
  private readonly versions = new TableVersions(
    this.state.map<StoredVersion>({ prefix: VERSION_PREFIX, decode: (value, key) => decodeStoredVersion(value, VERSION_PREFIX + key) }),
  );
  private readonly held = new HeldProbes(this.state, HELD_PREFIX);
  /** With `levelState(dir, { memory })`: the store, and the versions and held records kept in it instead of the heap. */
  private store: ResidentState | undefined;
  private resident: ResidentLookupState | undefined;
  private watermark = -Infinity;
  /** Results a watermark emits at most in one step (`OperatorContext.watermarkStep`). */
  private step = DEFAULT_WATERMARK_STEP;
  /** The watermark being worked through in steps: its time, the records it released, and the next to answer. */
  private releasing: { time: number; due: Array<Omit<ProbeRecord, 'seq'>>; next: number } | undefined;
  private seq = 0;
  private keysGauge!: MetricSample;
  private versionsGauge!: MetricSample;
  private heldGauge!: MetricSample;
  private matched!: MetricSample;
  private unmatched!: MetricSample;
  private lateUpdates!: MetricSample;

  /**
   * @param spec validated options (`lookupSpecOf`).
   * @param streamKeyOf the table key a stream record looks up.
   * @param table the table's key function and delete test.
   * @param lookup makes the result of a record and its row (`null` for none, `kind: 'left'`).
   * @param keyed whether the stream is keyed: results then keep each record's key.
   */
  /**
   * Queryable state, by table key: the key's row versions in time order, each
   * `{ from, row }` or `{ from, deleted: true }` (`from: null` for a static table's rows, valid
   * from the beginning of time).
   */
  readonly stateQuery: KeyedStateQuery = {
    get: (key) =>
      (this.resident ?? this.versions).versionsOf(encodeKey(key))?.map((v) => {
        const from = v.time === STATIC_ROW_TIME ? null : v.time;
        return v.deleted ? { from, deleted: true } : { from, row: v.row };
      }),
    keys: () => (this.resident ? this.resident.keyList() : [...this.versions.keyTexts()].map((keyText) => decodeKey(keyText))),
  };

  constructor(
    private readonly spec: LookupSpec,
    private readonly streamKeyOf: (record: T) => unknown,
    private readonly table: LookupTableSide<R>,
    private readonly lookup: (record: T, row: R | null) => O,
    private readonly keyed: boolean,
  ) {}

  open(ctx: OperatorContext): void {
    this.uid = ctx.uid;
    this.step = ctx.watermarkStep ?? DEFAULT_WATERMARK_STEP;
    this.store = ctx.residentState?.();
    if (this.store) {
      this.resident = new ResidentLookupState(this.store, this.spec);
      // A restore reads nothing but this: the options it was written with, its watermark and sequence.
      if (this.resident.restored) this.restoreMeta(this.resident.restored);
    }
    const labels = { operator: ctx.uid };
    this.keysGauge = ctx.metrics.gauge(METRICS.lookupTableKeys, labels);
    this.versionsGauge = ctx.metrics.gauge(METRICS.lookupTableVersions, labels);
    this.heldGauge = ctx.metrics.gauge(METRICS.lookupHeld, labels);
    this.matched = ctx.metrics.counter(METRICS.lookupMatched, labels);
    this.unmatched = ctx.metrics.counter(METRICS.lookupUnmatched, labels);
    this.lateUpdates = ctx.metrics.counter(METRICS.lookupTableLateUpdates, labels);
  }

  processBatch(): void {
    throw new PipelineError('lookup: records must come from the stream or its table (the lookup is built by stream.lookup(table, …))');
  }

  processInput(input: number, batch: Batch<unknown>, out: Output<O>): void {
    if (input === TABLE) this.applyTable(batch, out);
    else if (input === STREAM) this.probe(batch, out);
    else throw new PipelineError(`lookup: no input ${input}; it has a stream (0) and a table (1)`);
    this.updateGauges();
  }

  /**
   * Answers the held records the watermark released, a step of results at a time: `false` when
   * results of it wait to be handed on (the runtime then calls `continueWatermark`).
   */
  processWatermark(time: number, out: Output<O>): boolean {
    if (time <= this.watermark) return true;
    this.watermark = time;
    this.meta.changed();
    this.releasing = { time, due: (this.resident ?? this.held).release(time), next: 0 };
    return this.continueWatermark(out);
  }

  /** The next step of the watermark `processWatermark` stopped in; `true` when it is done and forwarded. */
  continueWatermark(out: Output<O>): boolean {
    const releasing = this.releasing!;
    const { due, time } = releasing;
    const results = newResults<O>(this.keyed);
    while (releasing.next < due.length && results.values.length < this.step) this.answer(due[releasing.next++], results, out);
    // Released records come from many partitions: like window results, their positions are -1.
    if (results.values.length > 0) {
      out.emit({ ...results, positions: new Array<number>(results.values.length).fill(-1), partition: 0 });
    }
    if (releasing.next < due.length) {
      this.updateGauges();
      return false;
    }
    this.releasing = undefined;
    (this.resident ?? this.versions).prune(this.horizon());
    this.updateGauges();
    out.watermark(time === Infinity ? Infinity : time - this.spec.allowedLateness);
    return true;
  }

  snapshotState(writer: StateWriter, full: boolean): void {
    if (this.resident) {
      this.resident.snapshotMeta(this.watermark, this.seq);
      this.store!.snapshot(writer);
    } else this.state.snapshot(writer, full);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    this.state.restore(entries);
    this.versions.restored();
    this.updateGauges();
  }

  /** The oldest time a record can still be answered at, exactly: versions before it are no longer needed. */
  private horizon(): number {
    return this.watermark - this.spec.allowedLateness;
  }

  private applyTable(batch: Batch<unknown>, out: Output<O>): void {
    const { values, times, positions } = batch;
    const isStatic = this.spec.table === 'static';
    if (!isStatic && !times) {
      throw new PipelineError('lookup: the table stream lost its event time: call .withTimestamps(…) last, before table(…)');
    }
    const { keyOf, isDelete } = this.table;
    for (let i = 0; i < values.length; i++) {
      const row = values[i] as R;
      let keyText: string;
      let deleted: boolean;
      try {
        keyText = encodeKey(keyOf(row));
      } catch (error) {
        this.deadLetter(out, rejectionReason(error, `${this.uid} table key`), row, batch.partition, positions[i]);
        continue;
      }
      try {
        deleted = isDelete ? isDelete(row) === true : false;
      } catch (error) {
        this.deadLetter(out, rejectionReason(error, `${this.uid} isDelete`), row, batch.partition, positions[i]);
        continue;
      }
      const time = isStatic ? STATIC_ROW_TIME : times![i];
      if (time <= this.watermark) this.lateUpdates.value++;
      (this.resident ?? this.versions).put(keyText, time, row, deleted);
    }
    // A row behind the watermark may already make older versions useless.
    (this.resident ?? this.versions).prune(this.horizon());
  }

  private probe(batch: Batch<unknown>, out: Output<O>): void {
    const { values, times, keys, positions, partition } = batch;
    if (!times) throw new PipelineError('lookup: the stream needs event time: call .withTimestamps(…) before .lookup()');
    const horizon = this.horizon();
    // A static table is complete once any watermark has passed (its own stays at -∞ until its
    // input ends) and its rows never change: every record is then answered at once, exactly,
    // however far behind the watermark it is, as a map over the stream would.
    const staticComplete = this.spec.table === 'static' && this.watermark > -Infinity;
    const now = newResults<O>(this.keyed);
    const nowPositions: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const time = times[i];
      let keyText: string;
      try {
        keyText = encodeKey(this.streamKeyOf(value as T));
      } catch (error) {
        this.deadLetter(out, rejectionReason(error, `${this.uid} key`), value, partition, positions[i]);
        continue;
      }
      if (time <= horizon && !staticComplete) {
        out.late({ record: value, window: { start: time, end: time + 1 }, watermark: this.watermark });
        continue;
      }
      const streamKey = keys ? keys[i] : null;
      if (time <= this.watermark || staticComplete) {
        // Behind the watermark but within lateness: the versions it needs are all here.
        if (this.answer({ time, value, keyText, streamKey, partition, offset: positions[i] }, now, out)) nowPositions.push(positions[i]);
        continue;
      }
      this.meta.changed();
      (this.resident ?? this.held).hold({ time, seq: this.seq++, value, keyText, streamKey, partition, offset: positions[i] });
    }
    if (now.values.length > 0) out.emit({ ...now, positions: nowPositions, partition });
  }

  /** Joins one record with its row; true when it made a result. */
  private answer(probe: Omit<ProbeRecord, 'seq'>, results: Results<O>, out: Output<O>): boolean {
    const version = (this.resident ?? this.versions).at(probe.keyText, probe.time);
    const found = version !== undefined && !version.deleted;
    if (!found && this.spec.kind === 'inner') {
      this.unmatched.value++;
      return false;
    }
    let result: O;
    try {
      result = this.lookup(probe.value as T, found ? (version.row as R) : null);
    } catch (error) {
      this.deadLetter(out, rejectionReason(error, `${this.uid} lookup function`), probe.value, probe.partition, probe.offset);
      return false;
    }
    (found ? this.matched : this.unmatched).value++;
    results.values.push(result);
    results.times.push(probe.time);
    results.keys?.push(probe.streamKey);
    return true;
  }

  private updateGauges(): void {
    const versions = this.resident ?? this.versions;
    this.keysGauge.value = versions.keys;
    this.versionsGauge.value = versions.versions;
    this.heldGauge.value = (this.resident ?? this.held).size;
  }

  private deadLetter(out: Output<O>, reason: string, raw: unknown, partition: number, offset: number): void {
    out.deadLetter({ reason, raw, position: offset >= 0 ? { partition, offset } : undefined, operator: this.uid });
  }

  private restoreMeta(value: unknown): void {
    const progress = checkedJoinProgress('lookup', META_KEY, value, this.spec, 'table versions and held records');
    this.watermark = progress.watermark;
    this.seq = progress.seq;
  }
}

/** Results being gathered into one batch: values, times and (for a keyed stream) keys. */
interface Results<O> {
  values: O[];
  times: number[];
  keys?: unknown[];
}

function newResults<O>(keyed: boolean): Results<O> {
  return keyed ? { values: [], times: [], keys: [] } : { values: [], times: [] };
}

/**
 * Makes the lookup-join operator; most users call `stream.lookup(table, keyOf, fn, options)`.
 * @param spec validated options (`lookupSpecOf`).
 * @param streamKeyOf the table key each stream record looks up.
 * @param table the table's key function and delete test.
 * @param lookup makes one result of a record and its row (`null` when there is none, for `left`).
 * @param keyed whether results keep the stream's own keys.
 * @example
 * lookupJoin(lookupSpecOf({ kind: 'left' }, 'static'), (t) => t.zoneId, { keyOf: (z) => z.id }, (t, z) => ({ ...t, zone: z?.name }), false)
 */
export function lookupJoin<T, R, O>(
  spec: LookupSpec,
  streamKeyOf: (record: T) => unknown,
  table: LookupTableSide<R>,
  lookup: (record: T, row: R | null) => O,
  keyed: boolean,
): LookupJoinOperator<T, R, O> {
  return new LookupJoinOperator(spec, streamKeyOf, table, lookup, keyed);
}
