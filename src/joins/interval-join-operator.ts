import type { Batch } from '../core/batch.js';
import { PipelineError, rejectionReason, StateError } from '../core/errors.js';
import { decodeKey, encodeKey } from '../core/key-encoding.js';
import type { MapTable, StateCell } from '../core/keyed-state.js';
import { METRICS } from '../core/metric-catalogue.js';
import type { MetricSample } from '../core/metrics.js';
import { DEFAULT_WATERMARK_STEP, type Operator, type OperatorContext, type Output, type StateWriter } from '../core/operator.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import { keyedState, type KeyedStateService } from '../state/keyed-state-service.js';
import { fromSortableTime, sortableTime } from '../state/state-key.js';
import { TimerHeap } from '../state/timer-heap.js';
import type { ResidentState } from '../core/resident-state.js';
import { checkedJoinProgress } from './join-progress.js';
import type { JoinSpec } from './join-options.js';
import { RESIDENT_JOIN_LAYOUT, ResidentJoinBuffer, type StoredRecord } from './resident-join-buffer.js';

/** The two inputs of a join, by the index the union before it gives them. */
const LEFT = 0;
const RIGHT = 1;
const SIDE_NAMES = ['left', 'right'] as const;

/**
 * State keys, layout `j1`: `j1/m` holds `{ watermark, seq, before, after, kind, allowedLateness }`
 * (a restore with other bounds is refused); `j1/b/<side>/<key text>/<sortableTime(t)>/<seq>` holds
 * `[matched, record]` for each buffered record (side `0` left, `1` right). A key's records of one
 * side are one range, in time order, so a store on disk reads a lookup's bounds as one range.
 */
const LAYOUT = 'j1';
const META_KEY = `${LAYOUT}/m`;
const BUFFER_PREFIX = `${LAYOUT}/b/`;

/** One buffered record. */
interface Buffered {
  side: number;
  keyText: string;
  key: unknown;
  time: number;
  value: unknown;
  /** It joined at least one partner (left and outer joins do not report it unmatched). */
  matched: boolean;
  /** Its entry in the buffer table; `undefined` once evicted. */
  stateKey: string | undefined;
}

/** A record a watermark evicts, of either buffer (heap or resident). */
interface EvictedRecord {
  side: number;
  key: unknown;
  record: { time: number; value: unknown; matched: boolean };
}

/**
 * The interval join of two keyed streams (Flink's interval join, Kafka Streams' KStream-KStream
 * join with `JoinWindows`). With bounds `before`, `after` and lateness `L`:
 *
 * - A left record at `tl` and a right one at `tr` with equal keys join when
 *   `tl - before <= tr <= tl + after`; the pair is emitted once, by whichever arrives second, with
 *   timestamp `max(tl, tr)`.
 * - A record's own bound closes when the watermark `W` passes the last partner time it can meet
 *   (`tl + after` for a left record, `tr + before` for a right one); a record arriving once
 *   `W >= bound + L` is late.
 * - A record is kept until no partner of it can still arrive on time, `W >= t + before + after + L`
 *   (the latest partner's own bound closed). Then it is evicted, and for `left` / `outer`, reported
 *   with `null` if it never matched: never before a partner could still come, never twice.
 * - The watermark forwarded is `W - (before + after + L)`, so no result (whose time is at least the
 *   later record's) is ever behind the watermark downstream operators saw.
 * - A join function that throws dead-letters the record that triggered the call; the record then
 *   changes nothing (no partner is marked matched, it is not buffered).
 *
 * Invariant: every record that reaches the join ends in exactly one of: a pair (matched, counted at
 * eviction), an unmatched report (emitted for `left`/`outer` sides, counted for the others), the
 * late output, the dead letters.
 */
export class IntervalJoinOperator<L, R, O> implements Operator<unknown, O> {
  readonly name = 'join';
  /** The layout of its state in `levelState(dir, { memory })`, recorded in its fingerprint. */
  readonly residentLayout = RESIDENT_JOIN_LAYOUT;
  private ctx!: OperatorContext;
  private uid = 'join';
  private readonly state: KeyedStateService = keyedState('join', LAYOUT);
  private readonly buffer: MapTable<[number, unknown]> = this.state.map<[number, unknown]>({
    prefix: BUFFER_PREFIX,
    decode: (value, key) => {
      if (!Array.isArray(value) || value.length !== 2 || (value[0] !== 0 && value[0] !== 1)) {
        throw new StateError('STATE_CORRUPT', `join: cannot read the buffered record ${JSON.stringify(key)}`);
      }
      return value as [number, unknown];
    },
  });
  private readonly meta: StateCell = this.state.cell({
    key: META_KEY,
    required: true,
    value: () => ({ watermark: this.watermark, seq: this.seq, ...this.spec }),
    restore: (value) => this.restoreMeta(value),
  });
  /** Per side: key text → its buffered records, in arrival order. */
  private readonly byKey: [Map<string, Buffered[]>, Map<string, Buffered[]>] = [new Map(), new Map()];
  /** Evictions, at `t + before + after + allowedLateness`. */
  private readonly evictions = new TimerHeap<Buffered>();
  private readonly buffered = [0, 0];
  /** Partner times a record of each side meets, relative to its own time: `[from, to]`. */
  private readonly reach: [[number, number], [number, number]];
  /** How far behind the input watermark the forwarded one is. */
  private readonly hold: number;
  private watermark = -Infinity;
  /** Results a watermark emits at most in one step (`OperatorContext.watermarkStep`). */
  private step = DEFAULT_WATERMARK_STEP;
  /** The watermark being worked through in steps: its time, and the records it evicts where they stopped. */
  private evicting: { time: number; records: Generator<EvictedRecord, void, undefined> } | undefined;
  private seq = 0;
  /** With `levelState(dir, { memory })`: the store, and the buffers kept in it instead of the heap. */
  private store: ResidentState | undefined;
  private resident: ResidentJoinBuffer | undefined;
  private bufferedGauges!: [MetricSample, MetricSample];
  private pairs!: MetricSample;
  /** Per side: records evicted after a pair, and without one. */
  private matchedCounters!: [MetricSample, MetricSample];
  private unmatchedCounters!: [MetricSample, MetricSample];

  constructor(
    private readonly spec: JoinSpec,
    private readonly join: (left: L | null, right: R | null) => O,
  ) {
    this.reach = [
      [-spec.before, spec.after],
      [-spec.after, spec.before],
    ];
    this.hold = spec.before + spec.after + spec.allowedLateness;
  }

  /**
   * Queries by key: the key's buffered records per side, `{ left: { count, records }, right: … }`,
   * each record as `{ time, value, matched }` in arrival order; `undefined` for a key with none.
   */
  readonly stateQuery: KeyedStateQuery = {
    get: (key) => {
      const keyText = encodeKey(key);
      const resident = this.resident;
      const left = (resident ? resident.records(LEFT, keyText) : this.byKey[LEFT].get(keyText)) ?? [];
      const right = (resident ? resident.records(RIGHT, keyText) : this.byKey[RIGHT].get(keyText)) ?? [];
      if (left.length === 0 && right.length === 0) return undefined;
      return { left: bufferedSide(left), right: bufferedSide(right) };
    },
    keys: () => {
      if (this.resident) return this.resident.keys();
      const keys = new Map<string, unknown>();
      for (const side of this.byKey) for (const [keyText, records] of side) if (!keys.has(keyText)) keys.set(keyText, records[0].key);
      return keys.values();
    },
  };

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.uid = ctx.uid;
    this.step = ctx.watermarkStep ?? DEFAULT_WATERMARK_STEP;
    this.store = ctx.residentState?.();
    if (this.store) {
      this.resident = new ResidentJoinBuffer(this.store, this.hold, this.spec);
      // A restore reads nothing but this: the bounds it was written with, and its watermark.
      if (this.resident.restored) this.restoreMeta(this.resident.restored);
    }
    this.bufferedGauges = [
      ctx.metrics.gauge(METRICS.joinBuffered, { operator: ctx.uid, side: 'left' }),
      ctx.metrics.gauge(METRICS.joinBuffered, { operator: ctx.uid, side: 'right' }),
    ];
    this.pairs = ctx.metrics.counter(METRICS.joinPairs, { operator: ctx.uid });
    this.matchedCounters = [
      ctx.metrics.counter(METRICS.joinMatched, { operator: ctx.uid, side: 'left' }),
      ctx.metrics.counter(METRICS.joinMatched, { operator: ctx.uid, side: 'right' }),
    ];
    this.unmatchedCounters = [
      ctx.metrics.counter(METRICS.joinUnmatched, { operator: ctx.uid, side: 'left' }),
      ctx.metrics.counter(METRICS.joinUnmatched, { operator: ctx.uid, side: 'right' }),
    ];
  }

  processBatch(): void {
    throw new PipelineError('join: records must come from one of its two inputs (the join is built by left.join(right, …))');
  }

  processInput(side: number, batch: Batch<unknown>, out: Output<O>): void {
    const { values, times, keys, positions } = batch;
    if (!times || !keys) {
      throw new PipelineError(
        `join: the ${SIDE_NAMES[side]} input must be keyed and timestamped: call .withTimestamps(…) and .keyBy(…) before .join()`,
      );
    }
    const other = this.byKey[1 - side];
    const resident = this.resident;
    const [from, to] = this.reach[side];
    const ownBound = to;
    const lateAt = this.spec.allowedLateness;
    const results: O[] = [];
    const resultTimes: number[] = [];
    const resultKeys: unknown[] = [];
    const resultPositions: number[] = [];
    // One record's partners and results, reused across the batch's records.
    const matched: Array<Buffered | StoredRecord> = [];
    const made: O[] = [];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const t = times[i];
      const key = keys[i];
      let keyText: string;
      try {
        keyText = encodeKey(key);
      } catch (error) {
        this.deadLetter(out, rejectionReason(error, `${this.uid} key`), value, batch.partition, positions[i]);
        continue;
      }
      if (this.watermark >= t + ownBound + lateAt) {
        out.late({ record: value, window: { start: t + from, end: t + to + 1 }, watermark: this.watermark });
        continue;
      }
      // All pairs first: a join function that throws leaves no trace of the record.
      const partners: Array<Buffered | StoredRecord> | undefined = resident ? resident.records(1 - side, keyText) : other.get(keyText);
      matched.length = 0;
      made.length = 0;
      let failed: unknown;
      let threw = false;
      if (partners) {
        for (const p of partners) {
          if (p.time < t + from || p.time > t + to) continue;
          try {
            made.push(side === LEFT ? this.join(value as L, p.value as R) : this.join(p.value as L, value as R));
          } catch (error) {
            failed = error;
            threw = true;
            break;
          }
          matched.push(p);
        }
      }
      if (threw) {
        this.deadLetter(out, rejectionReason(failed, `${this.uid} join function`), value, batch.partition, positions[i]);
        continue;
      }
      let marked = false;
      for (let m = 0; m < matched.length; m++) {
        const p = matched[m];
        if (!p.matched) {
          p.matched = true;
          marked = true;
          if (!resident) {
            // The stored entry is `[matched, record]`: it changes in place, and the table is told.
            const stateKey = (p as Buffered).stateKey!;
            this.buffer.get(stateKey)![0] = 1;
            this.buffer.changed(stateKey);
          }
        }
        results.push(made[m]);
        resultTimes.push(p.time > t ? p.time : t);
        resultKeys.push(key);
        resultPositions.push(positions[i]);
      }
      if (resident) {
        if (marked) resident.changed(1 - side, keyText, partners as StoredRecord[]);
        resident.add(side, keyText, t, value, matched.length > 0);
      } else this.add({ side, keyText, key, time: t, value, matched: matched.length > 0, stateKey: undefined });
    }
    if (results.length > 0) {
      this.pairs.value += results.length;
      out.emit({ values: results, times: resultTimes, keys: resultKeys, positions: resultPositions, partition: batch.partition });
    }
    this.updateGauges();
  }

  /**
   * Evicts the records the watermark made due, emitting the unmatched ones of an outer join, a
   * step of results at a time: `false` when results of it wait to be handed on (the runtime then
   * calls `continueWatermark`).
   */
  processWatermark(time: number, out: Output<O>): boolean {
    if (time <= this.watermark) return true;
    this.watermark = time;
    this.meta.changed();
    this.evicting = { time, records: this.evictedAt(time) };
    return this.continueWatermark(out);
  }

  /** The next step of the watermark `processWatermark` stopped in; `true` when it is done and forwarded. */
  continueWatermark(out: Output<O>): boolean {
    const { time, records } = this.evicting!;
    const results: O[] = [];
    const resultTimes: number[] = [];
    const resultKeys: unknown[] = [];
    const { kind } = this.spec;
    let done = false;
    while (results.length < this.step) {
      const next = records.next();
      if (next.done === true) {
        done = true;
        break;
      }
      const { side, key, record } = next.value;
      if (record.matched) {
        this.matchedCounters[side].value++;
        continue;
      }
      this.unmatchedCounters[side].value++;
      if (kind === 'inner' || (kind === 'left' && side === RIGHT)) continue;
      try {
        results.push(side === LEFT ? this.join(record.value as L, null) : this.join(null, record.value as R));
      } catch (error) {
        this.deadLetter(out, rejectionReason(error, `${this.uid} join function`), record.value, 0, -1);
        continue;
      }
      resultTimes.push(record.time);
      resultKeys.push(key);
    }
    if (results.length > 0) {
      // Not source records: their positions are -1, as for window results.
      out.emit({
        values: results,
        times: resultTimes,
        keys: resultKeys,
        positions: new Array<number>(results.length).fill(-1),
        partition: 0,
      });
    }
    this.updateGauges();
    if (!done) return false;
    this.evicting = undefined;
    out.watermark(time === Infinity ? Infinity : time - this.hold);
    return true;
  }

  /** The records the watermark `time` evicts, in eviction order, each removed from its buffer as it is read. */
  private *evictedAt(time: number): Generator<EvictedRecord, void, undefined> {
    if (this.resident) yield* this.resident.due(time);
    while (this.evictions.size > 0 && this.evictions.peekTime() <= time) {
      const record = this.evictions.pop()!.ref;
      this.remove(record);
      yield { side: record.side, key: record.key, record };
    }
  }

  snapshotState(writer: StateWriter, full: boolean): void {
    if (this.resident) {
      this.resident.snapshotMeta();
      this.store!.snapshot(writer);
    } else this.state.snapshot(writer, full);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    this.state.restore(entries);
    for (const [own, [matched, value]] of this.buffer.entries()) {
      const parsed = parseBufferKey(own);
      const record: Buffered = { ...parsed, key: decodeKey(parsed.keyText), value, matched: matched === 1, stateKey: own };
      this.index(record);
    }
    this.updateGauges();
  }

  /** Records buffered per side, `[left, right]`. */
  bufferedCounts(): readonly number[] {
    return this.buffered;
  }

  private add(record: Buffered): void {
    record.stateKey = `${record.side}/${record.keyText}/${sortableTime(record.time)}/${this.seq++}`;
    this.meta.changed();
    this.buffer.set(record.stateKey, [record.matched ? 1 : 0, record.value]);
    this.index(record);
  }

  private index(record: Buffered): void {
    const map = this.byKey[record.side];
    let list = map.get(record.keyText);
    if (!list) map.set(record.keyText, (list = []));
    list.push(record);
    this.buffered[record.side]++;
    this.evictions.push(record.time + this.hold, 0, record);
  }

  private remove(record: Buffered): void {
    const map = this.byKey[record.side];
    const list = map.get(record.keyText)!;
    // Evictions run in time order and records mostly arrive in it: the record is near the front.
    const at = list.indexOf(record);
    list.splice(at, 1);
    if (list.length === 0) map.delete(record.keyText);
    this.buffer.delete(record.stateKey!);
    record.stateKey = undefined;
    this.buffered[record.side]--;
  }

  private updateGauges(): void {
    const buffered = this.resident ? this.resident.buffered : this.buffered;
    this.bufferedGauges[0].value = buffered[0];
    this.bufferedGauges[1].value = buffered[1];
  }

  private deadLetter(out: Output<O>, reason: string, raw: unknown, partition: number, offset: number): void {
    out.deadLetter({ reason, raw, position: offset >= 0 ? { partition, offset } : undefined, operator: this.uid });
  }

  private restoreMeta(value: unknown): void {
    const progress = checkedJoinProgress('join', META_KEY, value, this.spec, 'buffers');
    this.watermark = progress.watermark;
    this.seq = progress.seq;
  }
}

/** Reads `<side>/<key text>/<sortableTime(t)>/<seq>`; the key text may hold `/`, the parts around it never do. */
function parseBufferKey(own: string): { side: number; keyText: string; time: number } {
  const last = own.lastIndexOf('/');
  const timeAt = own.lastIndexOf('/', last - 1);
  const side = own.charCodeAt(0) - 48;
  if ((side !== LEFT && side !== RIGHT) || own[1] !== '/' || timeAt < 2) {
    throw new StateError('STATE_CORRUPT', `join: cannot read the buffer key ${JSON.stringify(BUFFER_PREFIX + own)}`);
  }
  return { side, keyText: own.slice(2, timeAt), time: fromSortableTime(own.slice(timeAt + 1, last)) };
}

/**
 * Makes the interval-join operator; most users call `left.join(right, options, fn)`.
 * @param spec validated options (`joinSpecOf`).
 * @param join makes one result of a pair, or of an unmatched record with `null` for the other side.
 * @example intervalJoin(joinSpecOf({ within: '10m' }), (trip, tip) => ({ ...trip, tip: tip?.amount ?? 0 }))
 */
export function intervalJoin<L, R, O>(spec: JoinSpec, join: (left: L | null, right: R | null) => O): IntervalJoinOperator<L, R, O> {
  return new IntervalJoinOperator(spec, join);
}

/** One side of a key's buffer, as a query returns it. */
function bufferedSide(records: ReadonlyArray<{ time: number; value: unknown; matched: boolean }>): {
  count: number;
  records: Array<{ time: number; value: unknown; matched: boolean }>;
} {
  return { count: records.length, records: records.map((r) => ({ time: r.time, value: r.value, matched: r.matched })) };
}
