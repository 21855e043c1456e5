import { decodeKey, encodeKey, keyIdentity } from '../core/key-encoding.js';
import type { EntryTable } from '../core/keyed-state.js';
import type { ResidentState } from '../core/resident-state.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { sortableTime } from '../state/state-key.js';
import { AlignedWindows, type Bucket } from './aligned-windows.js';
import type { AlignedAssigner } from './types.js';
import type { WindowAggregator } from './window-aggregator.js';
import type { WindowContext } from './window-layout.js';
import { restorePanes, storeWindow, type StoredWindow } from './window-state-layout.js';
import { newWindowState, type WindowState } from './window-state.js';
import { openWindows } from './window-state-query.js';
import { RESIDENT_WINDOW_PREFIX, type ResidentWindowLayout } from './resident-window-layout.js';

/** Prefix of aligned windows' states: `wr1/a/<end>/<start>/<keyText>`. */
const STATES = `${RESIDENT_WINDOW_PREFIX}a/`;
/** Prefix of aligned windows' key lists: `wr1/k/<end>/<start>/<chunk>`. */
const KEY_LISTS = `${RESIDENT_WINDOW_PREFIX}k/`;
/** Length of a `sortableTime` text. */
const T = 16;
/** Keys per stored chunk of a window's key list. */
const CHUNK = 512;
/** Window states held in memory at most between two write-backs while a window fires. */
const WORKING_SET = 4096;

/** An aligned window whose keys' states are in the store. */
interface ResidentBucket extends Bucket {
  /** `wr1/a/<end>/<start>/`: its keys' states. */
  readonly statesPrefix: string;
  /** `wr1/k/<end>/<start>/`: its keys, in the order they came, in chunks. */
  readonly keysPrefix: string;
  /** Number of keys holding a state in it. */
  count: number;
  /** Stored chunks of its key list. */
  chunks: number;
  /** Keys added since the last flush, in order. */
  appends: string[];
}

/** One window state while a batch or watermark works on it. */
interface LoadedState {
  readonly ws: WindowState;
  dirty: boolean;
}

/** What the resident aligned layout keeps in the operator's progress entry. */
export interface ResidentAlignedMeta {
  live: number;
  /** The live windows: start, end, number of keys, chunks of the key list. */
  windows: Array<[start: number, end: number, count: number, chunks: number]>;
}

/**
 * Tumbling, hopping and global windows whose state lives in the backend's store
 * ({@link ResidentState}). The windows themselves (one per time range, with its timers) stay in
 * memory as in {@link AlignedWindows}, whose assignment, triggers and panes these are; what moves
 * to the store is each key's state in a window, `wr1/a/<end>/<start>/<key>`, and the window's keys
 * in the order they came, `wr1/k/<end>/<start>/<chunk>`, so that a window fires its keys in the
 * order the heap's map would. A window that expires is deleted as two ranges.
 * @example new ResidentAlignedWindows(context, tumbling('5m'), store)
 */
export class ResidentAlignedWindows extends AlignedWindows implements ResidentWindowLayout {
  /** A window's timer fires every key of the window: a step may end in the middle of its keys. */
  readonly stepsEndBetweenTimers = false;
  private readonly working = new Map<string, LoadedState>();
  private keyText = '';

  constructor(
    c: WindowContext,
    assigner: AlignedAssigner,
    private readonly store: ResidentState,
  ) {
    super(c, assigner);
    const table: EntryTable<WindowState> = {
      tracking: true,
      changed: (ws) => this.touch(ws),
      moved: (ws) => this.touch(ws),
      // An expired window's states go with its range.
      removed: (ws) => void this.working.delete(ws.stateKey!),
    };
    this.windows = table;
  }

  override registerState(_state: KeyedStateService): void {
    throw new Error('resident aligned windows keep their state in the store, not in the keyed-state service');
  }

  private touch(ws: WindowState): void {
    const c = this.c;
    // A window the running watermark also expires is deleted as a range before anyone reads its
    // states again (nothing is pending at expiry): writing back what its on-time pane changed
    // would only pile up one change per key until the watermark is done.
    if (c.trigger.expiresEmpty && ws.end - 1 + c.lateness <= c.watermark) return;
    this.working.get(ws.stateKey!)!.dirty = true;
  }

  protected override newBucket(start: number, end: number): Bucket {
    const bucket = super.newBucket(start, end) as ResidentBucket;
    const range = `${sortableTime(end)}/${sortableTime(start)}/`;
    Object.assign(bucket, { statesPrefix: STATES + range, keysPrefix: KEY_LISTS + range, count: 0, chunks: 0, appends: [] });
    return bucket;
  }

  protected override stateOf(b: Bucket, key: unknown, kid: unknown): WindowState | undefined {
    const bucket = b as ResidentBucket;
    this.keyText = encodeKey(key);
    const stateKey = bucket.statesPrefix + this.keyText;
    const loaded = this.working.get(stateKey);
    if (loaded !== undefined) return loaded.ws;
    const stored = this.store.get(stateKey) as StoredWindow | undefined;
    if (stored === undefined) return undefined;
    return this.load(bucket, key, kid, this.keyText, stored).ws;
  }

  protected override addState(b: Bucket, ws: WindowState): void {
    const bucket = b as ResidentBucket;
    ws.keyText = this.keyText;
    ws.stateKey = bucket.statesPrefix + this.keyText;
    this.working.set(ws.stateKey, { ws, dirty: true });
    bucket.appends.push(this.keyText);
    bucket.count++;
  }

  /**
   * Every key's state in the window, read from the store in the order of its key list. Key lists
   * stay as they are while one is read: the write-backs between states (a full working set, or a
   * watermark's step) write states only, and new keys come with records, never during a watermark.
   */
  protected override *statesOf(b: Bucket): Generator<WindowState, void, undefined> {
    const bucket = b as ResidentBucket;
    for (let c = 0; c <= bucket.chunks; c++) {
      const keyTexts = c < bucket.chunks ? (this.store.get(bucket.keysPrefix + c) as string[]) : bucket.appends;
      for (const keyText of keyTexts) {
        let loaded = this.working.get(bucket.statesPrefix + keyText);
        if (loaded === undefined) {
          if (this.working.size >= WORKING_SET) this.writeStates();
          const stored = this.store.get(bucket.statesPrefix + keyText) as StoredWindow;
          const key = decodeKey(keyText);
          loaded = this.load(bucket, key, keyIdentity(key), keyText, stored);
        }
        yield loaded.ws;
      }
    }
  }

  protected override *expireStates(b: Bucket, step: number): Generator<void, void, undefined> {
    const bucket = b as ResidentBucket;
    if (this.c.trigger.expiresEmpty) this.c.live -= bucket.count;
    else yield* super.expireStates(bucket, step);
    for (const [stateKey] of this.working) if (stateKey.startsWith(bucket.statesPrefix)) this.working.delete(stateKey);
    bucket.appends = [];
    this.store.deletePrefix(bucket.statesPrefix);
    this.store.deletePrefix(bucket.keysPrefix);
  }

  /** Writes back the states the last batch or watermark changed, and the windows' new keys. */
  override settle(): void {
    this.writeStates();
    this.forEachBucket((b) => this.flushKeys(b as ResidentBucket));
  }

  private writeStates(): void {
    for (const [stateKey, loaded] of this.working) if (loaded.dirty) this.store.put(stateKey, storeWindow(loaded.ws));
    this.working.clear();
  }

  /** Appends a window's new keys to its stored key list. */
  private flushKeys(bucket: ResidentBucket): void {
    const appends = bucket.appends;
    if (appends.length === 0) return;
    let next = 0;
    if (bucket.chunks > 0) {
      const last = bucket.keysPrefix + (bucket.chunks - 1);
      const stored = this.store.get(last) as string[];
      if (stored.length < CHUNK) {
        next = Math.min(appends.length, CHUNK - stored.length);
        for (let i = 0; i < next; i++) stored.push(appends[i]);
        this.store.put(last, stored);
      }
    }
    for (; next < appends.length; next += CHUNK) this.store.put(bucket.keysPrefix + bucket.chunks++, appends.slice(next, next + CHUNK));
    bucket.appends = [];
  }

  override clear(): void {
    this.settle();
    super.clear();
  }

  /** The layout's part of the progress entry (after {@link ResidentAlignedWindows.settle}). */
  save(): ResidentAlignedMeta {
    this.settle();
    const windows: ResidentAlignedMeta['windows'] = [];
    this.forEachBucket((b) => {
      const bucket = b as ResidentBucket;
      windows.push([bucket.start, bucket.end, bucket.count, bucket.chunks]);
    });
    return { live: this.c.live, windows };
  }

  /** Restores the windows and their timers from {@link ResidentAlignedWindows.save}'s entry, in the order a heap restore makes them. */
  restore(meta: ResidentAlignedMeta): void {
    const windows = [...meta.windows].sort((x, y) => x[1] - y[1] || x[0] - y[0]);
    for (const [start, end, count, chunks] of windows) {
      const bucket = this.restoreBucket(start, end) as ResidentBucket;
      bucket.count = count;
      bucket.chunks = chunks;
    }
    this.c.live = meta.live;
  }

  /** Queryable state: a key's states read from the store, one per live window; keys listed from the store. */
  query(agg: WindowAggregator): KeyedStateQuery {
    return {
      get: (key) => {
        const keyText = encodeKey(key);
        const open: WindowState[] = [];
        this.forEachBucket((b) => {
          const bucket = b as ResidentBucket;
          const stored = this.store.get(bucket.statesPrefix + keyText) as StoredWindow | undefined;
          if (stored !== undefined) open.push(hydrate(bucket, key, keyIdentity(key), keyText, stored));
        });
        return openWindows(open, agg);
      },
      keys: () => keysOfStates(this.store),
    };
  }

  private load(bucket: ResidentBucket, key: unknown, kid: unknown, keyText: string, stored: StoredWindow): LoadedState {
    const loaded: LoadedState = { ws: hydrate(bucket, key, kid, keyText, stored), dirty: false };
    this.working.set(loaded.ws.stateKey!, loaded);
    return loaded;
  }
}

function hydrate(bucket: ResidentBucket, key: unknown, kid: unknown, keyText: string, stored: StoredWindow): WindowState {
  const ws = newWindowState(key, kid, bucket.start, bucket.end, stored.a, stored.p);
  restorePanes(ws, { key, keyText, start: bucket.start, end: bucket.end, stored });
  ws.window = bucket.window;
  ws.stateKey = bucket.statesPrefix + keyText;
  return ws;
}

/** Every key holding a state in some window, once each. */
async function* keysOfStates(store: ResidentState): AsyncIterable<unknown> {
  const seen = new Set<string>();
  for await (const stateKey of store.keys(STATES)) {
    const keyText = stateKey.slice(STATES.length + 2 * T + 2);
    if (seen.has(keyText)) continue;
    seen.add(keyText);
    yield decodeKey(keyText);
  }
}
