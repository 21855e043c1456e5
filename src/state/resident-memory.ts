import { METRICS } from '../core/metric-catalogue.js';
import type { MetricSample, Metrics } from '../core/metrics.js';
import { fullCollections, type HeapWatch } from './heap-watch.js';

/**
 * The share of the budget that changes since the last snapshot may fill before a checkpoint is
 * asked for. Besides the heap the budget counts, a checkpoint costs native memory in proportion to
 * its changes: their encoded copy, LevelDB's write batch, and the memtable LevelDB fills in one of
 * libuv's threads, whose malloc arena keeps that memory for the thread's next write. At half the
 * budget (64 MB) that came to about 13 MB per arena in four arenas; at a quarter, peak RSS was 30
 * to 45 MB lower for sessions over 200k keys and dedup over 2M ids, for 2–3 % more CPU on average
 * (more, smaller checkpoints; the runs varied by ±15 % on a shared machine).
 */
export const PRESSURE_SHARE = 1 / 4;

/**
 * Shares of the heap limit, live after a full collection, above which the budget in effect is
 * lowered and below which it grows back to the configured one. The budget counts estimates of what
 * the state holds; the heap also holds the batches in flight, other operators' heap state and
 * garbage, and a job whose estimates are low or whose heap is tight would otherwise run out of it.
 */
export const HEAP_HIGH = 0.55;
export const HEAP_LOW = 0.4;
/** The budget in effect never drops below this share of the configured one. */
const SMALLEST_SHARE = 1 / 8;

/** What an entry holds for a key deleted: by a change not yet written, or by the last checkpoint written. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * One key of a resident store: a change (dirty or in flight) or, once its checkpoint is written, a
 * clean entry of the cache. The same object moves from one to the other (a cached key changed, a
 * change written), so a key changed once per checkpoint allocates nothing for its bookkeeping.
 */
export class ResidentEntry {
  /** Read since eviction last passed it: it gets a second chance (CLOCK). Clean entries only. */
  hot = false;
  /** Its neighbours in eviction order (older, newer), while it is a clean entry. */
  older: ResidentEntry | undefined = undefined;
  newer: ResidentEntry | undefined = undefined;

  /**
   * @param owner its store's map of clean entries, where it is kept while clean.
   * @param key its key in the store.
   * @param value the value, or {@link ABSENT}.
   * @param bytes the estimated bytes it costs (`entrySize`).
   */
  constructor(
    readonly owner: CleanEntries,
    readonly key: string,
    public value: unknown,
    public bytes: number,
  ) {}
}

/** One store's clean entries by key: each store has its own (no key is prefixed per store), the order and budget are shared. */
export type CleanEntries = Map<string, ResidentEntry>;

/** Counters of resident state, read by the metrics and by `LevelStateBackend.residentStats()`. */
export interface ResidentStats {
  /** The memory budget in bytes. */
  budget: number;
  /** The budget in effect: the configured one, lowered while the heap is nearly full. */
  budgetInEffect: number;
  /** Clean entries cached, and their estimated bytes. */
  cachedEntries: number;
  cachedBytes: number;
  /** Estimated bytes of changes not yet written by a checkpoint (dirty or in flight). */
  pendingBytes: number;
  /** Reads answered from memory (a change or a cached entry), and reads that went to LevelDB. */
  hits: number;
  misses: number;
  /** Bytes of values read from LevelDB. */
  readBytes: number;
  /** Early checkpoints asked for because changes filled a quarter of the budget ({@link PRESSURE_SHARE}). */
  pressureCheckpoints: number;
}

function sample(kind: 'counter' | 'gauge'): MetricSample {
  return { name: '', kind, labels: {}, value: 0 };
}

/**
 * The memory of `levelState(dir, { memory })`, shared by the resident stores of every operator:
 * one cache of clean entries in least-recently-used order, and the account of changes not yet
 * written. Clean entries are evicted to keep everything within the budget; changes cannot be
 * evicted (LevelDB holds only whole checkpoints), so when they fill a quarter of the budget
 * ({@link PRESSURE_SHARE}) the runtime is asked for a checkpoint, which writes them and makes them clean.
 * @example
 * const memory = new ResidentMemory(64 * 1024 * 1024);
 * memory.admit(new ResidentEntry(clean, 'g/3/trip-7', 1_700_000_000_000, 120));
 */
export class ResidentMemory {
  /**
   * Clean entries, in each store's map, and in eviction order on one linked list from `oldest` to
   * `newest` (a `Map` used as a queue slows down as deletions at its front pile up). A hit only
   * marks an entry hot; eviction moves a hot entry to the newest end instead of evicting it (CLOCK,
   * an approximation of least recently used that costs a hit nothing but a flag).
   */
  private cleanEntries = 0;
  private oldest: ResidentEntry | undefined;
  private newest: ResidentEntry | undefined;
  private cleanBytes = 0;
  /** Bytes of changes since the last snapshot (dirty), all stores. */
  private dirtyBytes = 0;
  /** Bytes of changes snapshotted but not yet written (in flight), all stores. */
  private flightBytes = 0;
  private pressure: (() => void) | undefined;
  private pressured = false;
  /** Counters and gauges: plain samples until a job's metrics registry takes them over. */
  hits: MetricSample = sample('counter');
  misses: MetricSample = sample('counter');
  readBytes: MetricSample = sample('counter');
  private pressureCheckpoints: MetricSample = sample('counter');
  private cachedGauge: MetricSample = sample('gauge');
  private pendingGauge: MetricSample = sample('gauge');
  private limitGauge: MetricSample = sample('gauge');
  /** The budget in effect (see {@link HEAP_HIGH}). */
  private limit: number;
  private unwatch: (() => void) | undefined;

  /**
   * @param budget the configured budget in bytes.
   * @param heap what tells how full the heap is once a job runs (tests give their own).
   */
  constructor(
    readonly budget: number,
    private readonly heap: HeapWatch = fullCollections,
  ) {
    this.limit = budget;
  }

  /**
   * Joins a running job: `requestCheckpoint` is called when changes fill a quarter of the budget, and the
   * counters are recorded in its `metrics` from now on.
   */
  attach(requestCheckpoint: () => void, metrics: Metrics): void {
    this.pressure = requestCheckpoint;
    const take = (mine: MetricSample, theirs: MetricSample): MetricSample => {
      theirs.value += mine.value;
      return theirs;
    };
    this.hits = take(this.hits, metrics.counter(METRICS.stateCacheHits));
    this.misses = take(this.misses, metrics.counter(METRICS.stateCacheMisses));
    this.readBytes = take(this.readBytes, metrics.counter(METRICS.stateReadBytes));
    this.pressureCheckpoints = take(this.pressureCheckpoints, metrics.counter(METRICS.statePressureCheckpoints));
    this.cachedGauge = metrics.gauge(METRICS.stateCacheBytes);
    this.pendingGauge = metrics.gauge(METRICS.statePendingBytes);
    this.limitGauge = metrics.gauge(METRICS.stateMemoryLimit);
    this.unwatch?.();
    this.unwatch = this.heap((share) => this.heapIs(share));
    this.publish();
  }

  /** Leaves the job: stops watching the heap. */
  detach(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /**
   * After a full collection: while live objects fill more than {@link HEAP_HIGH} of the heap
   * limit, the budget in effect shrinks (clean entries are evicted, changes are checkpointed
   * sooner); once they fill less than {@link HEAP_LOW}, it grows back towards the configured one.
   */
  heapIs(liveShare: number): void {
    if (liveShare > HEAP_HIGH) this.limit = Math.max(this.budget * SMALLEST_SHARE, Math.floor(this.limit * 0.7));
    else if (liveShare < HEAP_LOW) this.limit = Math.min(this.budget, Math.ceil(this.limit * 1.1));
    else return;
    this.evict();
    this.changed(0);
    this.publish();
  }

  /** The clean entry under `key` in `owner`, marked as used. */
  lookup(owner: CleanEntries, key: string): ResidentEntry | undefined {
    const entry = owner.get(key);
    if (entry !== undefined) entry.hot = true;
    return entry;
  }

  /**
   * Caches `entry` as clean, evicting the least recently used beyond the budget. Its store has no
   * clean entry under its key: a key read from LevelDB was looked up first, and a key changed
   * (dirty or in flight) is never clean ({@link take}).
   */
  admit(entry: ResidentEntry): void {
    entry.owner.set(entry.key, entry);
    entry.hot = false;
    this.cleanEntries++;
    this.append(entry);
    this.cleanBytes += entry.bytes;
    this.evict();
  }

  /** Takes the clean entry under `key` in `owner` out of the cache (a change supersedes it), to be reused for the change. */
  take(owner: CleanEntries, key: string): ResidentEntry | undefined {
    const entry = owner.get(key);
    if (entry !== undefined) this.remove(entry);
    return entry;
  }

  /** Drops every clean entry of `owner` whose key starts with `prefix` (a range delete). */
  forgetPrefix(owner: CleanEntries, prefix: string): void {
    for (const [key, entry] of owner) if (key.startsWith(prefix)) this.remove(entry);
  }

  /** Accounts `bytes` more (or fewer, when negative) of changes since the last snapshot. */
  changed(bytes: number): void {
    this.dirtyBytes += bytes;
    if (!this.pressured && this.dirtyBytes > this.limit * PRESSURE_SHARE && this.pressure) {
      this.pressured = true;
      this.pressureCheckpoints.value++;
      this.pressure();
    }
    if (bytes > 0) this.evict();
    this.pendingGauge.value = this.dirtyBytes + this.flightBytes;
  }

  /** A snapshot took `bytes` of changes: they are in flight until the checkpoint is written. */
  snapshotted(bytes: number): void {
    this.dirtyBytes -= bytes;
    this.flightBytes += bytes;
    if (this.dirtyBytes <= this.limit * PRESSURE_SHARE) this.pressured = false;
    this.publish();
  }

  /** `bytes` of changes in flight were written (they become clean entries) or go back to the changes. */
  landed(bytes: number, failed: boolean): void {
    this.flightBytes -= bytes;
    if (failed) this.changed(bytes);
    this.publish();
  }

  stats(): ResidentStats {
    return {
      budget: this.budget,
      budgetInEffect: this.limit,
      cachedEntries: this.cleanEntries,
      cachedBytes: this.cleanBytes,
      pendingBytes: this.dirtyBytes + this.flightBytes,
      hits: this.hits.value,
      misses: this.misses.value,
      readBytes: this.readBytes.value,
      pressureCheckpoints: this.pressureCheckpoints.value,
    };
  }

  /** Sets the gauges of cached and pending bytes (after a snapshot, a write, an attach). */
  publish(): void {
    this.cachedGauge.value = this.cleanBytes;
    this.pendingGauge.value = this.dirtyBytes + this.flightBytes;
    this.limitGauge.value = this.limit;
  }

  /** Evicts clean entries, oldest first but passing over hot ones once, until everything fits the budget. */
  private evict(): void {
    const limit = this.limit - this.dirtyBytes - this.flightBytes;
    while (this.cleanBytes > limit && this.oldest !== undefined) {
      const entry = this.oldest;
      if (entry.hot) {
        // Second chance: to the newest end, cold.
        entry.hot = false;
        this.unlink(entry);
        this.append(entry);
      } else this.remove(entry);
    }
  }

  private remove(entry: ResidentEntry): void {
    entry.owner.delete(entry.key);
    this.cleanEntries--;
    this.unlink(entry);
    this.cleanBytes -= entry.bytes;
  }

  private append(entry: ResidentEntry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: ResidentEntry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = entry.newer = undefined;
  }
}
