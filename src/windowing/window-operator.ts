import type { Batch } from '../core/batch.js';
import { parseDuration } from '../core/duration.js';
import { StateError, StreamkitError, describeError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { Operator, OperatorContext, Output, StateWriter } from '../core/operator.js';
import type { PaneInfo, PaneTiming, Window, WindowResult } from '../core/window.js';
import { firstHopStart, lastHopStart } from './hopping.js';
import { keyToJson, resultId } from './result-id.js';
import { TimerHeap } from './timer-heap.js';
import { validateTrigger } from './triggers.js';
import type { AccumulationMode, Aggregator, CountTrigger, ProcessingTimeTrigger, Trigger, WindowAssigner, WindowOptions } from './types.js';
import {
  META_STATE_KEY,
  WINDOW_STATE_VERSION,
  timestampStateKey,
  windowStateKey,
  type StoredMeta,
  type StoredTimestamp,
  type StoredWindow,
} from './window-state.js';

/** Options of {@link windowOperator}: the assigner plus the `.window(assigner, options)` options. */
export interface WindowOperatorOptions extends WindowOptions {
  assigner: WindowAssigner;
}

const ON_TIME = 0;
const EXPIRE = 1;
const PRUNE = 2;
/** No processing-time deadline pending; not a number, so a window state holds no boxed double for it. */
const NO_DEADLINE = undefined;

/** Live state of one (key, window). */
interface WinState {
  readonly key: unknown;
  readonly kid: unknown;
  kj: string | undefined;
  sk: string | undefined;
  /** Bounds change only for a session extended before it emitted anything (see addSession). */
  start: number;
  /** The window's max timestamp is `end - 1`; not stored, to keep the many short-lived states small. */
  end: number;
  /** The frozen `{ start, end }` its results carry: its bucket's, or made at its first pane (bounds are final by then). */
  window: Window | undefined;
  acc: unknown;
  /** Records added since the previous pane: a window fires only when this is positive. */
  pending: number;
  /** Index of the next pane. */
  index: number;
  /** The window emitted its on-time pane, or the watermark passed its end with nothing new to emit. */
  onTimeDone: boolean;
  last: unknown;
  lastTiming: PaneTiming | undefined;
  hasLast: boolean;
  /** Processing-time deadline of the pending pane, or NO_DEADLINE. */
  deadline: number | undefined;
  alive: boolean;
  /** Snapshot epoch in which this state was last recorded as dirty. */
  mark: number;
  /** Written to the checkpoint under its current state key (so dropping it needs a delete). */
  persisted: boolean;
}

/** All keys' states of one aligned (tumbling, hopping, global) window: they fire and expire together. */
interface Bucket {
  readonly start: number;
  readonly end: number;
  /** Shared by the results of every key in this window. */
  readonly window: Window;
  readonly maxTs: number;
  readonly states: Map<unknown, WinState>;
  alive: boolean;
  /** Another window with the same start and a different end (calendar windows in a DST gap). */
  next: Bucket | undefined;
}

/** Sessions of one key, sorted by start; no two overlap or touch (they would have merged). */
interface SessionKey {
  readonly sessions: WinState[];
}

/** Records of one sliding-window key grouped by timestamp, and its live windows by start. */
interface SlideKey {
  readonly key: unknown;
  readonly kid: unknown;
  kj: string | undefined;
  readonly times: number[];
  readonly byTime: Map<number, TsEntry>;
  readonly wins: Map<number, WinState>;
  pruneAt: number;
}

interface TsEntry {
  readonly home: SlideKey;
  readonly t: number;
  acc: unknown;
  n: number;
  sk: string | undefined;
  mark: number;
  persisted: boolean;
}

type Layout = 'aligned' | 'session' | 'sliding';

/**
 * The window operator: assigns keyed, timestamped records to windows, aggregates them
 * incrementally, and emits {@link WindowResult} panes as its trigger decides, following
 * SEMANTICS.md (windows, lateness, triggers, panes, accumulation modes, result ids).
 *
 * Input batches carry `times` (event time, ms) and, after `keyBy`, `keys` (absent: one key, `null`).
 * Output batches carry results with `times[i] = window.end - 1` and no keys; the watermark is
 * forwarded after everything it made due has fired. `+Infinity` ends the input: every window fires
 * what it has not emitted yet and all state is cleared.
 *
 * @param options `assigner` plus `trigger` (default `onWatermark()`), `allowedLateness` (default 0)
 *   and `mode` (default `'accumulating'`).
 * @param aggregator what to compute per window.
 * @throws TypeError / RangeError naming the option when the configuration cannot work, e.g.
 *   `global()` with the watermark trigger.
 * @example
 * const op = windowOperator({ assigner: tumbling('5m'), allowedLateness: '10m' }, count());
 * @see onWatermark
 * @see afterCount
 * @see afterProcessingTime
 */
export function windowOperator<T = unknown, A = unknown, R = unknown>(
  options: WindowOperatorOptions,
  aggregator: Aggregator<T, A, R>,
): Operator<unknown, WindowResult<unknown, R>> {
  return new WindowOperator<T, A, R>(options, aggregator);
}

const MODES: readonly AccumulationMode[] = ['accumulating', 'discarding', 'retracting'];

/**
 * Results share frozen `window` and `pane` values (windows are values: copy one to change it):
 * most panes are a first pane, and most windows hold many keys, so most results allocate neither.
 */
const FIRST_PANES: Readonly<Record<PaneTiming, PaneInfo>> = {
  early: Object.freeze({ index: 0, timing: 'early' }),
  'on-time': Object.freeze({ index: 0, timing: 'on-time' }),
  late: Object.freeze({ index: 0, timing: 'late' }),
};

/** The frozen window a state's results carry, made at its first pane when its bucket has none. */
function windowOf(ws: WinState): Window {
  return ws.window ?? (ws.window = Object.freeze({ start: ws.start, end: ws.end }));
}

function paneInfo(index: number, timing: PaneTiming): PaneInfo {
  return index === 0 ? FIRST_PANES[timing] : Object.freeze({ index, timing });
}
const OPTION_NAMES = new Set(['assigner', 'trigger', 'allowedLateness', 'mode']);

class WindowOperator<T, A, R> implements Operator<unknown, WindowResult<unknown, R>> {
  readonly name = 'window';
  private readonly assigner: WindowAssigner;
  private readonly agg: Aggregator<T, A, R>;
  private readonly trigger: Trigger;
  private readonly lateness: number;
  private readonly mode: AccumulationMode;
  private readonly layout: Layout;
  private readonly size: number;
  private readonly usesProcessingTime: boolean;
  /**
   * Every window has emitted all it holds by the time it expires, and no processing-time timer
   * refers to it: the watermark trigger without a late policy fires late records at once.
   */
  private readonly expiresEmpty: boolean;

  private wm = -Infinity;
  private readonly timers = new TimerHeap<Bucket | WinState | SlideKey>();
  private readonly procTimers = new TimerHeap<WinState>();
  private readonly buckets = new Map<number, Bucket>();
  private readonly sessionKeys = new Map<unknown, SessionKey>();
  private readonly slideKeys = new Map<unknown, SlideKey>();

  /** Windows of the last assigned time, valid for times in [cLo, cHi), and their buckets. */
  private cLo = NaN;
  private cHi = NaN;
  private cWindows: Window[] = [];
  private cBuckets: Array<Bucket | undefined> = [];
  /** Upper bound on how far the cache reaches past the latest start (0: never cache). */
  private readonly cacheStep: number;
  /** `hopping` without a time zone: its grid, to assign windows without the assigner (see hopWindows). */
  private readonly fixedHop: { hop: number; offset: number } | undefined;
  private readonly hopScratch: { start: number; end: number }[] = [];

  private outValues: WindowResult<unknown, R>[] = [];
  private outTimes: number[] = [];
  private out: Output<WindowResult<unknown, R>> | undefined;
  private lateCount = 0;

  private ctx: OperatorContext | undefined;
  private metrics: Metrics | undefined;
  private labels: Record<string, string> = {};
  /** Live (key, window) states, for the `window.state.windows` gauge. */
  private live = 0;
  private restoredProc: WinState[] = [];

  private tracking = false;
  private epoch = 1;
  private metaDirty = false;
  private readonly dirtyWins = new Map<string, WinState | null>();
  private readonly dirtyTs = new Map<string, TsEntry | null>();
  /** Reused per sliding record for the starts of its windows (avoids an allocation per record). */
  private readonly scratch: number[] = [];

  constructor(options: WindowOperatorOptions, aggregator: Aggregator<T, A, R>) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(
        `windowOperator options must be an object like { assigner, trigger, allowedLateness, mode }, got ${String(options)}`,
      );
    }
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.has(name))
        throw new TypeError(`window: unknown option '${name}'; the options are trigger, allowedLateness and mode`);
    }
    const assigner = options.assigner;
    if (!assigner || typeof assigner.assignWindows !== 'function' || typeof assigner.kind !== 'string') {
      throw new TypeError(
        'window: assigner must be a window assigner such as tumbling(size), hopping(size, hop), sliding(size), session(gap) or global()',
      );
    }
    if (
      !aggregator ||
      typeof aggregator.create !== 'function' ||
      typeof aggregator.add !== 'function' ||
      typeof aggregator.merge !== 'function' ||
      typeof aggregator.result !== 'function'
    ) {
      throw new TypeError('window: aggregator must have create(), add(acc, x), merge(a, b) and result(acc) functions');
    }
    const trigger = options.trigger === undefined ? ({ kind: 'watermark' } as const) : validateTrigger(options.trigger);
    if (assigner.kind === 'global' && trigger.kind === 'watermark') {
      throw new TypeError(
        'window: global() windows never reach the end of event time before the end of input, so the watermark trigger would fire them only once at the end; pass trigger: afterCount(n) or afterProcessingTime(d)',
      );
    }
    const mode = options.mode ?? 'accumulating';
    if (!MODES.includes(mode))
      throw new TypeError(`window: mode must be 'accumulating', 'discarding' or 'retracting', got ${JSON.stringify(mode)}`);
    this.lateness = options.allowedLateness === undefined ? 0 : parseDuration(options.allowedLateness, 'allowedLateness');
    this.assigner = assigner;
    this.agg = aggregator;
    this.trigger = trigger;
    this.mode = mode;
    this.layout = assigner.merging || assigner.kind === 'session' ? 'session' : assigner.kind === 'sliding' ? 'sliding' : 'aligned';
    const hop = (assigner as { hop?: unknown }).hop;
    const zoned = (assigner as { timeZone?: unknown }).timeZone !== undefined;
    this.cacheStep =
      assigner.kind === 'tumbling' || assigner.kind === 'global'
        ? Infinity
        : assigner.kind === 'hopping' && !zoned && typeof hop === 'number' && hop > 0
          ? hop
          : 0;
    this.size = assigner.size;
    const offset = (assigner as { offset?: unknown }).offset;
    this.fixedHop =
      assigner.kind === 'hopping' && !zoned && typeof hop === 'number' && typeof offset === 'number' && Number.isSafeInteger(assigner.size)
        ? { hop, offset }
        : undefined;
    this.usesProcessingTime =
      trigger.kind === 'processing-time' ||
      (trigger.kind === 'watermark' && (trigger.early?.kind === 'processing-time' || trigger.late?.kind === 'processing-time'));
    this.expiresEmpty = trigger.kind === 'watermark' && trigger.late === undefined && !this.usesProcessingTime;
    if (this.layout !== 'aligned' && (!Number.isSafeInteger(this.size) || this.size < 1)) {
      throw new RangeError(`window: ${assigner.description} must have a positive integer size in ms, got ${assigner.size}`);
    }
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.metrics = ctx.metrics;
    this.labels = { operator: ctx.uid };
  }

  private now(): number {
    return this.ctx ? this.ctx.now() : Date.now();
  }

  processBatch(batch: Batch<unknown>, out: Output<WindowResult<unknown, R>>): void {
    this.out = out;
    const { values, times, keys } = batch;
    const n = values.length;
    let i = 0;
    try {
      for (; i < n; i++) {
        const t = times ? times[i] : undefined;
        if (!Number.isSafeInteger(t)) {
          out.deadLetter({
            reason: times
              ? `event time must be a finite integer of epoch ms, got ${describeTime(t)}`
              : 'record has no event time: call withTimestamps(...) before window(...)',
            raw: values[i],
            position: { partition: batch.partition, offset: batch.positions[i] },
            operator: this.name,
          });
          continue;
        }
        const key = keys ? keys[i] : null;
        const kid = key !== null && typeof key === 'object' ? `\u0000${JSON.stringify(key)}` : key;
        const value = values[i] as T;
        if (this.layout === 'aligned') this.addAligned(key, kid, t as number, value);
        else if (this.layout === 'session') this.addSession(key, kid, t as number, value);
        else this.addSliding(key, kid, t as number, value);
      }
    } catch (error) {
      if (error instanceof StreamkitError) throw error;
      throw new StreamkitError(
        'USER_FUNCTION_FAILED',
        `window: the aggregator failed on the record at partition ${batch.partition} position ${batch.positions[i]}: ${describeError(error)}`,
        { cause: error },
      );
    }
    this.flush(out);
  }

  processWatermark(time: number, out: Output<WindowResult<unknown, R>>): void {
    this.out = out;
    if (time > this.wm) {
      this.wm = time;
      this.metaDirty = true;
      const timers = this.timers;
      while (timers.size > 0 && timers.peekTime() <= time) this.runTimer(timers.pop()!);
      if (time === Infinity) this.clearAll();
    }
    this.flush(out);
    out.watermark(time);
  }

  onTick(now: number, out: Output<WindowResult<unknown, R>>): void {
    this.out = out;
    if (this.restoredProc.length > 0) {
      const restored = this.restoredProc;
      this.restoredProc = [];
      for (const ws of restored) {
        if (!ws.alive || ws.pending === 0 || ws.deadline !== NO_DEADLINE) continue;
        // Deadlines are processing time and are not checkpointed: restart the wait on this clock.
        const policy = this.policyOf(ws);
        if (policy && policy.kind === 'processing-time') this.schedule(ws, policy.interval, now);
      }
    }
    const timers = this.procTimers;
    while (timers.size > 0 && timers.peekTime() <= now) {
      const tm = timers.pop()!;
      const ws = tm.ref;
      if (ws.alive && ws.deadline === tm.time && ws.pending > 0) this.fire(ws);
    }
    this.flush(out);
  }

  // ---- assignment -------------------------------------------------------------------------------

  private addAligned(key: unknown, kid: unknown, t: number, value: T): void {
    if (!(t >= this.cLo && t < this.cHi)) this.assignAligned(t);
    const windows = this.cWindows;
    const buckets = this.cBuckets;
    for (let w = 0; w < windows.length; w++) {
      let bucket = buckets[w];
      if (bucket === undefined || !bucket.alive) {
        bucket = this.bucketFor(windows[w], value);
        buckets[w] = bucket;
        if (bucket === undefined) continue;
      }
      let ws = bucket.states.get(kid);
      if (ws === undefined) {
        ws = this.newWin(key, kid, bucket.start, bucket.end, this.agg.create(), 0);
        ws.window = bucket.window;
        bucket.states.set(kid, ws);
      }
      this.addTo(ws, value);
    }
  }

  /**
   * Assigns windows to `t` and remembers the range of times that get the same windows, so records
   * close in time (the common case) skip the assigner: a tumbling or global window's own bounds;
   * for hopping windows, from the latest start (and the end of the window before the first) until
   * the next start or the earliest end.
   */
  private assignAligned(t: number): void {
    const windows = this.fixedHop ? this.hopWindows(t, this.fixedHop) : this.assigner.assignWindows(t);
    this.cWindows = windows;
    const buckets = this.cBuckets;
    buckets.length = windows.length;
    buckets.fill(undefined);
    if (this.cacheStep === 0 || windows.length === 0) {
      this.cLo = NaN;
      this.cHi = NaN;
      return;
    }
    let maxStart = -Infinity;
    let minStart = Infinity;
    let minEnd = Infinity;
    for (const w of windows) {
      if (w.start > maxStart) maxStart = w.start;
      if (w.start < minStart) minStart = w.start;
      if (w.end < minEnd) minEnd = w.end;
    }
    const step = this.cacheStep;
    // Earlier times may also fall in the window before the first one (it ends at minStart - hop + size).
    this.cLo = step === Infinity ? maxStart : Math.max(maxStart, minStart - step + this.size);
    this.cHi = Math.min(minEnd, maxStart + step);
  }

  /**
   * The windows of `t` for `hopping` without a time zone, as its assigner computes them, written
   * into window objects this operator reuses: sparse keys miss the cache on almost every record,
   * and size/hop fresh objects per record are garbage at once.
   */
  private hopWindows(t: number, grid: { hop: number; offset: number }): Window[] {
    const { hop, offset } = grid;
    const size = this.size;
    const last = lastHopStart(t, hop, offset);
    const first = firstHopStart(t, last, size, hop);
    const windows = this.hopScratch;
    let n = 0;
    for (let s = first; s <= last; s += hop) {
      const w = windows[n] ?? (windows[n] = { start: 0, end: 0 });
      w.start = s;
      w.end = s + size;
      n++;
    }
    windows.length = n;
    return windows;
  }

  /** The live bucket of `window`, created if new; undefined (and a late record) when it expired. */
  private bucketFor(window: Window, value: T): Bucket | undefined {
    const { start, end } = window;
    const bucket = this.findBucket(start, end);
    if (bucket !== undefined) return bucket;
    if (this.wm >= end - 1 + this.lateness) {
      this.lateRecord(value, start, end);
      return undefined;
    }
    return this.addBucket(start, end);
  }

  private findBucket(start: number, end: number): Bucket | undefined {
    let bucket = this.buckets.get(start);
    while (bucket !== undefined && bucket.end !== end) bucket = bucket.next;
    return bucket;
  }

  private addBucket(start: number, end: number): Bucket {
    const bucket: Bucket = {
      start,
      end,
      window: Object.freeze({ start, end }),
      maxTs: end - 1,
      states: new Map(),
      alive: true,
      next: this.buckets.get(start),
    };
    this.buckets.set(start, bucket);
    this.pushTimers(bucket.maxTs, bucket);
    return bucket;
  }

  private removeBucket(bucket: Bucket): void {
    bucket.alive = false;
    let head = this.buckets.get(bucket.start);
    if (head === bucket) {
      if (bucket.next === undefined) this.buckets.delete(bucket.start);
      else this.buckets.set(bucket.start, bucket.next);
      return;
    }
    while (head !== undefined && head.next !== bucket) head = head.next;
    if (head !== undefined) head.next = bucket.next;
  }

  private addSession(key: unknown, kid: unknown, t: number, value: T): void {
    const lo = t;
    const hi = t + this.size;
    let sk = this.sessionKeys.get(kid);
    let first = -1;
    let last = -1;
    let at = 0;
    if (sk !== undefined) {
      const ss = sk.sessions;
      for (let j = 0; j < ss.length; j++) {
        const s = ss[j];
        if (s.end < lo) {
          at = j + 1;
          continue;
        }
        if (s.start > hi) break;
        if (first < 0) first = j;
        last = j;
      }
    }
    if (first >= 0) {
      const ss = sk!.sessions;
      const only = ss[first];
      if (first === last) {
        if (only.start <= lo && hi <= only.end) {
          this.addTo(only, value);
          return;
        }
        if (only.index === 0 && this.wm < only.end - 1) {
          // Growing a session that has emitted nothing yet is unobservable as a merge: extend it
          // in place (same state object, new state key), and let its timers catch up lazily.
          this.forget(only);
          only.sk = undefined;
          only.mark = 0;
          only.start = Math.min(lo, only.start);
          only.end = Math.max(hi, only.end);
          only.window = undefined;
          this.addTo(only, value);
          return;
        }
      }
      // The record joins (and may bridge) existing sessions: their union is a new window. Existing
      // sessions are live, so they are not expired and neither is their union.
      let acc = only.acc;
      let pending = only.pending;
      this.retire(only);
      for (let j = first + 1; j <= last; j++) {
        acc = this.agg.merge(acc as A, ss[j].acc as A);
        pending += ss[j].pending;
        this.retire(ss[j]);
      }
      const ws = this.newWin(key, kid, Math.min(lo, only.start), Math.max(hi, ss[last].end), acc, pending);
      ss.splice(first, last - first + 1, ws);
      this.pushTimers(ws.end - 1, ws);
      this.addTo(ws, value);
      return;
    }
    if (this.wm >= hi - 1 + this.lateness) {
      this.lateRecord(value, lo, hi);
      return;
    }
    if (sk === undefined) {
      sk = { sessions: [] };
      this.sessionKeys.set(kid, sk);
    }
    const ws = this.newWin(key, kid, lo, hi, this.agg.create(), 0);
    sk.sessions.splice(at, 0, ws);
    this.pushTimers(ws.end - 1, ws);
    this.addTo(ws, value);
  }

  /** A session merged into a larger one: retract its last pane (retracting mode) and drop its state. */
  private retire(ws: WinState): void {
    if (this.mode === 'retracting' && ws.hasLast) this.emitRetraction(ws);
    this.drop(ws);
  }

  private addSliding(key: unknown, kid: unknown, t: number, value: T): void {
    const size = this.size;
    let sk = this.slideKeys.get(kid);
    if (sk === undefined) {
      sk = { key, kid, kj: undefined, times: [], byTime: new Map(), wins: new Map(), pruneAt: NaN };
      this.slideKeys.set(kid, sk);
    }
    const times = sk.times;
    const entry = sk.byTime.get(t);
    const idx = lowerBound(times, t);
    // Windows holding t, by start: left windows [u-size+1, u+1) of every u in [t, t+size-1]
    // (t itself included) and right windows [u+1, u+1+size) of every u in [t-size, t-1].
    const starts = this.scratch;
    starts.length = 0;
    let a = entry === undefined ? -1 : idx;
    let b = lowerBound(times, t - size);
    const aEnd = lowerBound(times, t + size);
    const bEnd = idx;
    let leftStart = entry === undefined ? t - size + 1 : NaN;
    for (;;) {
      let sa = Infinity;
      if (a < 0) sa = leftStart;
      else if (a < aEnd) sa = times[a] - size + 1;
      const sb = b < bEnd ? times[b] + 1 : Infinity;
      if (sa === Infinity && sb === Infinity) break;
      if (sa <= sb) {
        if (starts.length === 0 || starts[starts.length - 1] !== sa) starts.push(sa);
        if (a < 0) {
          a = idx;
          leftStart = NaN;
        } else a++;
      } else {
        if (starts.length === 0 || starts[starts.length - 1] !== sb) starts.push(sb);
        b++;
      }
    }
    for (let j = 0; j < starts.length; j++) {
      const s = starts[j];
      let ws = sk.wins.get(s);
      if (ws === undefined) {
        if (this.wm >= s + size - 1 + this.lateness) {
          this.lateRecord(value, s, s + size);
          continue;
        }
        ws = this.newSlideWin(sk, s);
      }
      this.addTo(ws, value);
    }
    if (entry === undefined) {
      // t's own right window exists once a later record lies within size of it.
      const s = t + 1;
      if (idx < times.length && times[idx] <= t + size && !sk.wins.has(s) && this.wm < s + size - 1 + this.lateness) {
        const ws = this.newSlideWin(sk, s);
        if (this.tracking) this.touch(ws);
        this.afterAdd(ws);
      }
      if (this.wm >= t + size + this.lateness) {
        // Every window t could ever belong to has expired: nothing left to remember.
        if (times.length === 0 && sk.wins.size === 0) this.slideKeys.delete(kid);
        return;
      }
      const e: TsEntry = { home: sk, t, acc: this.agg.add(this.agg.create(), value), n: 1, sk: undefined, mark: 0, persisted: false };
      sk.byTime.set(t, e);
      times.splice(idx, 0, t);
      this.touchTs(e);
      const pruneAt = t + size + this.lateness;
      if (!(sk.pruneAt <= pruneAt)) {
        sk.pruneAt = pruneAt;
        this.timers.push(pruneAt, PRUNE, sk);
      }
    } else {
      entry.acc = this.agg.add(entry.acc as A, value);
      entry.n++;
      this.touchTs(entry);
    }
  }

  /** Creates the sliding window starting at `s` from the records already stored for its key. */
  private newSlideWin(sk: SlideKey, s: number): WinState {
    const end = s + this.size;
    const times = sk.times;
    let acc = this.agg.create();
    let pending = 0;
    for (let j = lowerBound(times, s); j < times.length && times[j] < end; j++) {
      const e = sk.byTime.get(times[j])!;
      acc = this.agg.merge(acc, e.acc as A);
      pending += e.n;
    }
    const ws = this.newWin(sk.key, sk.kid, s, end, acc, pending);
    ws.kj = sk.kj ?? (sk.kj = keyToJson(sk.key));
    sk.wins.set(s, ws);
    this.pushTimers(ws.end - 1, ws);
    return ws;
  }

  // ---- firing ---------------------------------------------------------------------------------

  private newWin(key: unknown, kid: unknown, start: number, end: number, acc: unknown, pending: number): WinState {
    this.live++;
    return {
      key,
      kid,
      kj: undefined,
      sk: undefined,
      start,
      end,
      window: undefined,
      acc,
      pending,
      index: 0,
      onTimeDone: false,
      last: undefined,
      lastTiming: undefined,
      hasLast: false,
      deadline: NO_DEADLINE,
      alive: true,
      mark: 0,
      persisted: false,
    };
  }

  private pushTimers(maxTs: number, ref: Bucket | WinState): void {
    if (this.trigger.kind === 'watermark' && this.wm < maxTs) this.timers.push(maxTs, ON_TIME, ref);
    // A record at a session's `end` touches it and may still arrive while W = end - 1, so a session
    // stays mergeable (not expired) one millisecond longer than its max timestamp.
    this.timers.push(maxTs + this.lateness + (this.layout === 'session' ? 1 : 0), EXPIRE, ref);
  }

  private addTo(ws: WinState, value: T): void {
    ws.acc = this.agg.add(ws.acc as A, value);
    ws.pending++;
    if (this.tracking && ws.mark !== this.epoch) this.touch(ws);
    this.afterAdd(ws);
  }

  /** The trigger that decides the window's next pane in its current phase; undefined = fire at once. */
  private policyOf(ws: WinState): CountTrigger | ProcessingTimeTrigger | undefined | null {
    const trigger = this.trigger;
    if (trigger.kind !== 'watermark') return trigger;
    if (this.wm < ws.end - 1) return trigger.early ?? null;
    // Past the end: the first pane is the on-time one (at once); later ones follow `late`.
    return ws.onTimeDone ? trigger.late : undefined;
  }

  /** Applies the trigger after records were added to `ws`. `null` policy: wait for the watermark. */
  private afterAdd(ws: WinState): void {
    const policy = this.policyOf(ws);
    if (policy === null) return;
    if (policy === undefined) this.fire(ws);
    else if (policy.kind === 'count') {
      if (ws.pending >= policy.count) this.fire(ws);
    } else if (ws.deadline === NO_DEADLINE) this.schedule(ws, policy.interval, this.now());
  }

  private schedule(ws: WinState, interval: number, now: number): void {
    ws.deadline = now + interval;
    this.procTimers.push(ws.deadline, 0, ws);
  }

  /**
   * Emits the pane of `ws` holding what it has not emitted yet (everything so far unless
   * discarding). Timing: early before the watermark reaches the end, then on-time once, then late.
   */
  private fire(ws: WinState): void {
    if (ws.pending === 0) return;
    let timing: PaneTiming;
    if (this.wm < ws.end - 1) timing = 'early';
    else if (ws.onTimeDone) timing = 'late';
    else {
      timing = 'on-time';
      ws.onTimeDone = true;
    }
    const value = this.agg.result(ws.acc as A);
    const kj = ws.kj ?? (ws.kj = keyToJson(ws.key));
    if (this.mode === 'retracting') {
      if (ws.hasLast) this.emitRetraction(ws);
      ws.last = value;
      ws.lastTiming = timing;
      ws.hasLast = true;
    } else if (this.mode === 'discarding') {
      ws.acc = this.agg.create();
    }
    this.outValues.push({
      key: ws.key,
      window: windowOf(ws),
      value,
      pane: paneInfo(ws.index, timing),
      id: resultId(kj, ws.start, ws.end, ws.index, false),
    });
    this.outTimes.push(ws.end - 1);
    ws.index++;
    ws.pending = 0;
    ws.deadline = NO_DEADLINE;
    if (this.tracking && ws.mark !== this.epoch) this.touch(ws);
  }

  /** Emits a retraction of the previous pane of `ws`: its value, pane info and a retraction id. */
  private emitRetraction(ws: WinState): void {
    const kj = ws.kj ?? (ws.kj = keyToJson(ws.key));
    const index = ws.index - 1;
    this.outValues.push({
      key: ws.key,
      window: windowOf(ws),
      value: ws.last as R,
      pane: paneInfo(index, ws.lastTiming!),
      id: resultId(kj, ws.start, ws.end, index, true),
      retraction: true,
    });
    this.outTimes.push(ws.end - 1);
  }

  private runTimer(tm: { kind: number; ref: Bucket | WinState | SlideKey; time: number }): void {
    if (tm.kind === PRUNE) {
      this.prune(tm.ref as SlideKey, tm.time);
      return;
    }
    if (this.layout === 'aligned') {
      const bucket = tm.ref as Bucket;
      if (!bucket.alive) return;
      if (tm.kind === ON_TIME) {
        for (const ws of bucket.states.values()) this.onTime(ws);
      } else {
        if (this.tracking || !this.expiresEmpty) {
          for (const ws of bucket.states.values()) {
            this.fire(ws);
            this.drop(ws);
          }
        } else {
          // Nothing to fire and nothing to record: the states go with their bucket.
          this.live -= bucket.states.size;
        }
        this.removeBucket(bucket);
      }
      return;
    }
    const ws = tm.ref as WinState;
    if (!ws.alive) return;
    if (this.layout === 'session') {
      // A session extended in place keeps its older timers: move them to its current bounds.
      const due = tm.kind === ON_TIME ? ws.end - 1 : ws.end + this.lateness;
      if (due > tm.time && due > this.wm) {
        this.timers.push(due, tm.kind, ws);
        return;
      }
    }
    if (tm.kind === ON_TIME) {
      this.onTime(ws);
      return;
    }
    this.fire(ws);
    this.drop(ws);
    if (this.layout === 'session') {
      const sk = this.sessionKeys.get(ws.kid)!;
      const at = sk.sessions.indexOf(ws);
      sk.sessions.splice(at, 1);
      if (sk.sessions.length === 0) this.sessionKeys.delete(ws.kid);
    } else {
      const sk = this.slideKeys.get(ws.kid)!;
      sk.wins.delete(ws.start);
      if (sk.wins.size === 0 && sk.times.length === 0) this.slideKeys.delete(ws.kid);
    }
  }

  private onTime(ws: WinState): void {
    this.fire(ws);
    if (!ws.onTimeDone) {
      ws.onTimeDone = true;
      if (this.tracking && ws.mark !== this.epoch) this.touch(ws);
    }
  }

  /** Forgets a sliding key's timestamps that no live or future window can hold any more. */
  private prune(sk: SlideKey, time: number): void {
    if (sk.pruneAt !== time) return;
    const times = sk.times;
    const limit = this.wm - this.size - this.lateness;
    let j = 0;
    while (j < times.length && times[j] <= limit) {
      const e = sk.byTime.get(times[j])!;
      sk.byTime.delete(times[j]);
      if (this.tracking) {
        if (e.persisted) this.dirtyTs.set(this.tsKey(e), null);
        else if (e.mark === this.epoch) this.dirtyTs.delete(this.tsKey(e));
      }
      j++;
    }
    times.splice(0, j);
    if (times.length > 0) {
      sk.pruneAt = times[0] + this.size + this.lateness;
      this.timers.push(sk.pruneAt, PRUNE, sk);
    } else {
      sk.pruneAt = NaN;
      if (sk.wins.size === 0) this.slideKeys.delete(sk.kid);
    }
  }

  private clearAll(): void {
    this.buckets.clear();
    this.sessionKeys.clear();
    this.slideKeys.clear();
    this.timers.clear();
    this.procTimers.clear();
    this.live = 0;
    this.cLo = NaN;
    this.cHi = NaN;
  }

  private lateRecord(value: T, start: number, end: number): void {
    this.lateCount++;
    this.out!.late({ record: value, window: { start, end }, watermark: this.wm });
  }

  private flush(out: Output<WindowResult<unknown, R>>): void {
    const n = this.outValues.length;
    const metrics = this.metrics;
    if (metrics) {
      if (n > 0) metrics.inc('window.panes', this.labels, n);
      if (this.lateCount > 0) metrics.inc('window.late', this.labels, this.lateCount);
      metrics.set('window.state.windows', this.labels, this.live);
    }
    this.lateCount = 0;
    if (n === 0) return;
    const values = this.outValues;
    const times = this.outTimes;
    this.outValues = [];
    this.outTimes = [];
    // Results are not source records: they have no source position.
    const positions = new Array<number>(n).fill(-1);
    out.emit({ values, times, positions, partition: 0 });
  }

  // ---- checkpoints ------------------------------------------------------------------------------

  private winKey(ws: WinState): string {
    return ws.sk ?? (ws.sk = windowStateKey(ws.start, ws.end, ws.kj ?? (ws.kj = keyToJson(ws.key))));
  }

  private tsKey(e: TsEntry): string {
    const home = e.home;
    return e.sk ?? (e.sk = timestampStateKey(e.t, home.kj ?? (home.kj = keyToJson(home.key))));
  }

  private touch(ws: WinState): void {
    ws.mark = this.epoch;
    this.dirtyWins.set(this.winKey(ws), ws);
  }

  private touchTs(e: TsEntry): void {
    if (!this.tracking || e.mark === this.epoch) return;
    e.mark = this.epoch;
    this.dirtyTs.set(this.tsKey(e), e);
  }

  private drop(ws: WinState): void {
    ws.alive = false;
    this.live--;
    this.forget(ws);
  }

  /**
   * Removes the state of `ws` under its current key from the next snapshot: a delete if a
   * checkpoint holds it, nothing if it lived and died between two snapshots.
   */
  private forget(ws: WinState): void {
    if (!this.tracking) return;
    if (ws.persisted) this.dirtyWins.set(this.winKey(ws), null);
    else if (ws.mark === this.epoch) this.dirtyWins.delete(this.winKey(ws));
    ws.persisted = false;
  }

  snapshotState(writer: StateWriter, full: boolean): void {
    if (full || !this.tracking) {
      writer.put(META_STATE_KEY, this.meta());
      this.forEachLive(
        (ws) => {
          writer.put(this.winKey(ws), storeWin(ws));
          ws.persisted = true;
        },
        (e) => {
          writer.put(this.tsKey(e), storeTs(e));
          e.persisted = true;
        },
      );
    } else {
      if (this.metaDirty) writer.put(META_STATE_KEY, this.meta());
      for (const [k, ws] of this.dirtyWins) {
        if (ws === null) writer.delete(k);
        else {
          writer.put(k, storeWin(ws));
          ws.persisted = true;
        }
      }
      for (const [k, e] of this.dirtyTs) {
        if (e === null) writer.delete(k);
        else {
          writer.put(k, storeTs(e));
          e.persisted = true;
        }
      }
    }
    this.dirtyWins.clear();
    this.dirtyTs.clear();
    this.metaDirty = false;
    this.epoch++;
    this.tracking = true;
  }

  private meta(): StoredMeta {
    return { watermark: this.wm, assigner: this.assigner.description };
  }

  private forEachLive(onWin: (ws: WinState) => void, onTs: (e: TsEntry) => void): void {
    for (const head of this.buckets.values()) {
      for (let b: Bucket | undefined = head; b !== undefined; b = b.next) for (const ws of b.states.values()) onWin(ws);
    }
    for (const sk of this.sessionKeys.values()) for (const ws of sk.sessions) onWin(ws);
    for (const sk of this.slideKeys.values()) {
      for (const ws of sk.wins.values()) onWin(ws);
      for (const e of sk.byTime.values()) onTs(e);
    }
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    const wins: StoredWindow[] = [];
    const stamps: StoredTimestamp[] = [];
    let meta: StoredMeta | undefined;
    const prefixW = `${WINDOW_STATE_VERSION}/w/`;
    const prefixT = `${WINDOW_STATE_VERSION}/t/`;
    for (const [k, v] of entries) {
      if (k === META_STATE_KEY) meta = v as StoredMeta;
      else if (k.startsWith(prefixW)) wins.push(v as StoredWindow);
      else if (k.startsWith(prefixT)) stamps.push(v as StoredTimestamp);
      else
        throw new StateError(
          'STATE_INCOMPATIBLE',
          `window: unknown state key ${JSON.stringify(k)} (expected the ${WINDOW_STATE_VERSION}/ layout)`,
        );
    }
    if (meta === undefined) {
      if (wins.length > 0 || stamps.length > 0)
        throw new StateError('STATE_CORRUPT', `window: checkpoint has window state but no ${META_STATE_KEY} entry`);
      return;
    }
    if (meta.assigner !== this.assigner.description) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `window: the checkpoint was written for ${meta.assigner} windows, this pipeline uses ${this.assigner.description}; use a new state directory or the same windows`,
      );
    }
    this.wm = meta.watermark;
    for (const s of stamps) {
      const kid = kidOf(s.k);
      let sk = this.slideKeys.get(kid);
      if (sk === undefined) {
        sk = { key: s.k, kid, kj: undefined, times: [], byTime: new Map(), wins: new Map(), pruneAt: NaN };
        this.slideKeys.set(kid, sk);
      }
      sk.byTime.set(s.t, { home: sk, t: s.t, acc: s.a, n: s.n, sk: undefined, mark: 0, persisted: true });
      sk.times.push(s.t);
    }
    for (const sk of this.slideKeys.values()) {
      sk.times.sort((x, y) => x - y);
      if (sk.times.length > 0) {
        sk.pruneAt = sk.times[0] + this.size + this.lateness;
        this.timers.push(sk.pruneAt, PRUNE, sk);
      }
    }
    for (const s of wins) {
      const kid = kidOf(s.k);
      const ws = this.newWin(s.k, kid, s.s, s.e, s.a, s.p);
      ws.index = s.i;
      ws.onTimeDone = s.o;
      ws.persisted = true;
      if ('l' in s) {
        ws.last = s.l;
        ws.lastTiming = s.lt;
        ws.hasLast = true;
      }
      if (this.layout === 'aligned') {
        const bucket = this.findBucket(s.s, s.e) ?? this.addBucket(s.s, s.e);
        bucket.states.set(kid, ws);
      } else if (this.layout === 'session') {
        let sk = this.sessionKeys.get(kid);
        if (sk === undefined) {
          sk = { sessions: [] };
          this.sessionKeys.set(kid, sk);
        }
        sk.sessions.push(ws);
        this.pushTimers(ws.end - 1, ws);
      } else {
        let sk = this.slideKeys.get(kid);
        if (sk === undefined) {
          sk = { key: s.k, kid, kj: undefined, times: [], byTime: new Map(), wins: new Map(), pruneAt: NaN };
          this.slideKeys.set(kid, sk);
        }
        sk.wins.set(ws.start, ws);
        this.pushTimers(ws.end - 1, ws);
      }
      if (ws.pending > 0 && this.usesProcessingTime) this.restoredProc.push(ws);
    }
    for (const sk of this.sessionKeys.values()) sk.sessions.sort((x, y) => x.start - y.start);
    this.tracking = true;
  }
}

function storeWin(ws: WinState): StoredWindow {
  const s: StoredWindow = { k: ws.key, s: ws.start, e: ws.end, a: ws.acc, p: ws.pending, i: ws.index, o: ws.onTimeDone };
  if (ws.hasLast) {
    s.l = ws.last;
    s.lt = ws.lastTiming;
  }
  return s;
}

function storeTs(e: TsEntry): StoredTimestamp {
  return { k: e.home.key, t: e.t, a: e.acc, n: e.n };
}

function kidOf(key: unknown): unknown {
  return key !== null && typeof key === 'object' ? `\u0000${JSON.stringify(key)}` : key;
}

function lowerBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function describeTime(t: unknown): string {
  if (typeof t === 'number') return String(t);
  if (t instanceof Date) return `a Date (${String(t)})`;
  return `${typeof t} ${JSON.stringify(t)}`;
}
