import { StateError } from '../core/errors.js';
import { decodeKey } from '../core/key-encoding.js';
import type { ResidentState } from '../core/resident-state.js';
import { TimeBuckets, type BucketCounts } from '../state/time-buckets.js';
import type { JoinSpec } from './join-options.js';
import { readResidentJoinMeta } from './resident-join-meta.js';

/**
 * The resident interval join's layout version (`jr1`: join, resident, version 1), the first part
 * of each of its keys. A change of layout takes a new one, and the runtime refuses a checkpoint of
 * another (the `residentLayout` part of the operator's fingerprint).
 */
export const RESIDENT_JOIN_LAYOUT = 'jr1';
const META_KEY = `${RESIDENT_JOIN_LAYOUT}/m`;
const RECORDS_PREFIX = `${RESIDENT_JOIN_LAYOUT}/k/`;
const EVICTIONS_PREFIX = `${RESIDENT_JOIN_LAYOUT}/e/`;

/** One buffered record on disk, in its key's list for its side (arrival order). */
export interface StoredRecord {
  time: number;
  /** Its number in arrival order over both sides: eviction order at equal times. */
  seq: number;
  matched: boolean;
  value: unknown;
}

/** The join's progress, kept under `jr1/m`: read at open, so a restore loads nothing else. */
interface ResidentJoinMeta extends JoinSpec {
  watermark: number;
  seq: number;
  buffered: [number, number];
  /** Buckets of evictions and their chunk counts. */
  buckets: BucketCounts;
}

/** One eviction: `[evictAt, seq, side, key text]`. */
type Eviction = [number, number, number, string];

/** A record evicted, with what the join needs to report it. */
export interface Evicted {
  side: number;
  key: unknown;
  record: StoredRecord;
}

/** Buckets of evictions per `hold`: a bucket is read when the watermark reaches its start. */
const BUCKETS_PER_HOLD = 8;

/**
 * The interval join's buffers in resident state (`levelState(dir, { memory })`). Layout `jr1`:
 * `jr1/k/<side>/<key text>` → the key's buffered records of that side ({@link StoredRecord}s,
 * arrival order); `jr1/e/<bucket>/<chunk>` → the evictions due in that bucket of time
 * ({@link TimeBuckets}); `jr1/m` → {@link ResidentJoinMeta}. Pinned by
 * `test/joins/resident-join-layout.test.ts`.
 * A record meets its partners with one read of the other side's list; the watermark reads only
 * the buckets it reached, and only their numbers are kept in memory. Evictions run in
 * (time, arrival) order, as the heap path runs them.
 * @example
 * const buffer = new ResidentJoinBuffer(store, hold, spec);
 * buffer.add(0, '"a"', 10, 'x', false);
 * buffer.evictDue(1_000, (evicted) => report(evicted));
 */
export class ResidentJoinBuffer {
  /** What a restore found under `jr1/m` (bounds, watermark, sequence), for the operator to check; `undefined` on a fresh start. */
  readonly restored: (JoinSpec & { watermark: number; seq: number }) | undefined;
  private readonly meta: ResidentJoinMeta;
  private readonly evictions: TimeBuckets<Eviction>;

  constructor(
    private readonly store: ResidentState,
    private readonly hold: number,
    spec: JoinSpec,
  ) {
    const meta = readResidentJoinMeta<ResidentJoinMeta>(store, META_KEY, 'join', ['buckets']);
    this.restored = meta === undefined ? undefined : { ...meta };
    this.meta = meta ?? { ...spec, watermark: -Infinity, seq: 0, buffered: [0, 0], buckets: [] };
    const width = Math.max(1, Math.ceil(hold / BUCKETS_PER_HOLD));
    this.evictions = new TimeBuckets<Eviction>(
      store,
      EVICTIONS_PREFIX,
      width,
      (e) => e[0],
      (a, b) => a[0] - b[0] || a[1] - b[1],
      this.meta.buckets,
    );
  }

  /** Records buffered per side. */
  get buffered(): readonly number[] {
    return this.meta.buffered;
  }

  /** The key's buffered records of `side`, in arrival order (`undefined` for none). Call {@link changed} after marking one matched. */
  records(side: number, keyText: string): StoredRecord[] | undefined {
    return this.store.get(`${RECORDS_PREFIX}${side}/${keyText}`) as StoredRecord[] | undefined;
  }

  /** Writes back a list read with {@link records} whose records were marked matched. */
  changed(side: number, keyText: string, records: StoredRecord[]): void {
    this.store.put(`${RECORDS_PREFIX}${side}/${keyText}`, records);
  }

  /** Buffers a record of `side` until the watermark reaches `time + hold`. */
  add(side: number, keyText: string, time: number, value: unknown, matched: boolean): void {
    const seq = this.meta.seq++;
    const key = `${RECORDS_PREFIX}${side}/${keyText}`;
    const list = (this.store.get(key) as StoredRecord[] | undefined) ?? [];
    list.push({ time, seq, matched, value });
    this.store.put(key, list);
    this.meta.buffered[side]++;
    this.evictions.add([time + this.hold, seq, side, keyText]);
  }

  /**
   * Evicts, in (time, arrival) order, every record whose `time + hold` the watermark reached, and
   * hands each to `visit`.
   */
  evictDue(watermark: number, visit: (evicted: Evicted) => void): void {
    for (const evicted of this.due(watermark)) visit(evicted);
  }

  /** The records {@link ResidentJoinBuffer.evictDue} evicts, one at a time: a caller may stop between two and go on later. */
  *due(watermark: number): Generator<Evicted, void, undefined> {
    this.meta.watermark = watermark;
    for (const eviction of this.evictions.due(watermark)) yield this.evict(eviction);
  }

  /** Writes the meta entry and the changes since the previous snapshot (the operator's snapshot). */
  snapshotMeta(): void {
    this.meta.buckets = this.evictions.counts();
    this.store.put(META_KEY, this.meta);
  }

  /** The keys (as the user's keys) with buffered records, for queries. */
  async *keys(): AsyncIterable<unknown> {
    const seen = new Set<string>();
    for await (const stored of this.store.keys(RECORDS_PREFIX)) {
      const keyText = stored.slice(RECORDS_PREFIX.length + 2); // after `<side>/`
      if (seen.has(keyText)) continue;
      seen.add(keyText);
      yield decodeKey(keyText);
    }
  }

  private evict([, seq, side, keyText]: Eviction): Evicted {
    const key = `${RECORDS_PREFIX}${side}/${keyText}`;
    const list = this.store.get(key) as StoredRecord[] | undefined;
    const at = list ? list.findIndex((r) => r.seq === seq) : -1;
    if (!list || at < 0) throw new StateError('STATE_CORRUPT', `join: the record ${seq} due for eviction is not in ${key}`);
    const [record] = list.splice(at, 1);
    if (list.length === 0) this.store.delete(key);
    else this.store.put(key, list);
    this.meta.buffered[side]--;
    return { side, key: decodeKey(keyText), record };
  }
}
