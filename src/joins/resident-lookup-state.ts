import { decodeKey } from '../core/key-encoding.js';
import type { ResidentState } from '../core/resident-state.js';
import { TimeBuckets, type BucketCounts } from '../state/time-buckets.js';
import type { ProbeRecord } from './held-probes.js';
import type { LookupSpec } from './lookup-options.js';
import { readResidentJoinMeta } from './resident-join-meta.js';
import { lastAtOrBefore, type TableVersion } from './table-versions.js';

/**
 * The resident lookup join's layout version (`lr1`: lookup, resident, version 1), the first part
 * of each of its keys. A change of layout takes a new one, and the runtime refuses a checkpoint of
 * another (the `residentLayout` part of the operator's fingerprint).
 */
export const RESIDENT_LOOKUP_LAYOUT = 'lr1';
const META_KEY = `${RESIDENT_LOOKUP_LAYOUT}/m`;
const VERSIONS_PREFIX = `${RESIDENT_LOOKUP_LAYOUT}/v/`;
const HELD_PREFIX = `${RESIDENT_LOOKUP_LAYOUT}/h/`;
const PRUNES_PREFIX = `${RESIDENT_LOOKUP_LAYOUT}/p/`;

/** A stored version: `[time, 1, row]` for an upsert, `[time, 0]` for a delete. */
type StoredVersion = [number, 1, unknown] | [number, 0];

/** A record held for the watermark: `[time, seq, value, key text, stream key, partition, offset]`. */
type StoredProbe = [number, number, unknown, string, unknown, number, number];

/** A prune due for a key once the horizon reaches a version's time: `[time, key text]`. */
type StoredPrune = [number, string];

/** The lookup's progress, kept under `lr1/m`: read at open, so a restore loads nothing else. */
interface ResidentLookupMeta extends LookupSpec {
  watermark: number;
  seq: number;
  keys: number;
  versions: number;
  held: number;
  heldBuckets: BucketCounts;
  pruneBuckets: BucketCounts;
}

/** Width of the buckets of held records and of prunes (event time): a minute. */
const BUCKET_WIDTH = 60_000;

/**
 * A lookup join's state in resident state (`levelState(dir, { memory })`), with the methods of the
 * heap's `TableVersions` and `HeldProbes` it stands in for. Layout `lr1`: `lr1/v/<key text>` → the
 * key's versions in time order; `lr1/h/<bucket>/<chunk>` → records waiting for the watermark;
 * `lr1/p/<bucket>/<chunk>` → the keys to prune once the horizon reaches a version's time; `lr1/m`
 * → the meta entry. A lookup is one read; a watermark reads only the buckets it reached. The keys
 * the docs quote are checked against those it writes (`test/docs/state-keys.test.ts`).
 * @example
 * const state = new ResidentLookupState(store, spec);
 * state.put('"zone-7"', 0, row, false);
 * state.at('"zone-7"', 10); // { time: 0, row, deleted: false }
 */
export class ResidentLookupState {
  /** What a restore found under `lr1/m`, for the operator to check; `undefined` on a fresh start. */
  readonly restored: (LookupSpec & { watermark: number; seq: number }) | undefined;
  private readonly meta: ResidentLookupMeta;
  private readonly held: TimeBuckets<StoredProbe>;
  private readonly prunes: TimeBuckets<StoredPrune>;

  constructor(
    private readonly store: ResidentState,
    spec: LookupSpec,
  ) {
    const meta = readResidentJoinMeta<ResidentLookupMeta>(store, META_KEY, 'lookup', ['heldBuckets', 'pruneBuckets']);
    this.restored = meta === undefined ? undefined : { ...meta };
    this.meta = meta ?? { ...spec, watermark: -Infinity, seq: 0, keys: 0, versions: 0, held: 0, heldBuckets: [], pruneBuckets: [] };
    // Held records in (time, arrival) order, as the heap releases them.
    this.held = new TimeBuckets<StoredProbe>(
      store,
      HELD_PREFIX,
      BUCKET_WIDTH,
      (p) => p[0],
      (a, b) => a[0] - b[0] || a[1] - b[1],
      this.meta.heldBuckets,
    );
    this.prunes = new TimeBuckets<StoredPrune>(
      store,
      PRUNES_PREFIX,
      BUCKET_WIDTH,
      (p) => p[0],
      (a, b) => a[0] - b[0],
      this.meta.pruneBuckets,
    );
  }

  /** Keys with at least one version. */
  get keys(): number {
    return this.meta.keys;
  }

  /** Versions held, over all keys. */
  get versions(): number {
    return this.meta.versions;
  }

  /** Records held for the watermark. */
  get size(): number {
    return this.meta.held;
  }

  /** Adds a version of `keyText` at `time` (replacing one at the same time). */
  put(keyText: string, time: number, row: unknown, deleted: boolean): void {
    const key = `${VERSIONS_PREFIX}${keyText}`;
    const list = (this.store.get(key) as StoredVersion[] | undefined) ?? [];
    if (list.length === 0) this.meta.keys++;
    const stored: StoredVersion = deleted ? [time, 0] : [time, 1, row];
    const i = lastAtOrBefore(list, time, timeOfStored);
    if (i >= 0 && list[i][0] === time) list[i] = stored;
    else {
      list.splice(i + 1, 0, stored);
      this.meta.versions++;
      this.prunes.add([time, keyText]);
    }
    this.store.put(key, list);
  }

  /** The version of `keyText` valid at `t`, if any (it may be a delete). */
  at(keyText: string, t: number): TableVersion | undefined {
    const list = this.store.get(`${VERSIONS_PREFIX}${keyText}`) as StoredVersion[] | undefined;
    if (!list) return undefined;
    const i = lastAtOrBefore(list, t, timeOfStored);
    return i < 0 ? undefined : versionOf(list[i]);
  }

  /** The versions of `keyText` in time order, if it has any. */
  versionsOf(keyText: string): readonly TableVersion[] | undefined {
    return (this.store.get(`${VERSIONS_PREFIX}${keyText}`) as StoredVersion[] | undefined)?.map(versionOf);
  }

  /** The table keys with versions, as the user's keys, for queries. */
  async *keyList(): AsyncIterable<unknown> {
    for await (const key of this.store.keys(VERSIONS_PREFIX)) yield decodeKey(key.slice(VERSIONS_PREFIX.length));
  }

  /** Drops what no lookup at a time `>= horizon` needs, as the heap's `TableVersions.prune`. */
  prune(horizon: number): void {
    this.prunes.release(horizon, ([, keyText]) => {
      const key = `${VERSIONS_PREFIX}${keyText}`;
      const list = this.store.get(key) as StoredVersion[] | undefined;
      if (!list) return;
      const i = lastAtOrBefore(list, horizon, timeOfStored);
      if (i < 0) return;
      const drop = list[i][1] === 0 ? i + 1 : i;
      if (drop === 0) return;
      this.meta.versions -= drop;
      if (drop === list.length) {
        this.store.delete(key);
        this.meta.keys--;
      } else this.store.put(key, list.slice(drop));
    });
  }

  /** Holds a record until the watermark reaches its time. */
  hold(record: ProbeRecord): void {
    const { time, seq, value, keyText, streamKey, partition, offset } = record;
    this.held.add([time, seq, value, keyText, streamKey, partition, offset]);
    this.meta.held++;
  }

  /** Removes and returns the records with time `<= watermark`, oldest first (ties in arrival order). */
  release(watermark: number): Array<Omit<ProbeRecord, 'seq'>> {
    const due: Array<Omit<ProbeRecord, 'seq'>> = [];
    this.held.release(watermark, ([time, , value, keyText, streamKey, partition, offset]) => {
      due.push({ time, value, keyText, streamKey, partition, offset });
    });
    this.meta.held -= due.length;
    return due;
  }

  /** Writes the meta entry, with the operator's watermark and sequence, before the store's changes go into a checkpoint. */
  snapshotMeta(watermark: number, seq: number): void {
    this.meta.watermark = watermark;
    this.meta.seq = seq;
    this.meta.heldBuckets = this.held.counts();
    this.meta.pruneBuckets = this.prunes.counts();
    this.store.put(META_KEY, this.meta);
  }
}

function versionOf(stored: StoredVersion): TableVersion {
  return stored[1] === 1 ? { time: stored[0], row: stored[2], deleted: false } : { time: stored[0], row: undefined, deleted: true };
}

const timeOfStored = (stored: StoredVersion): number => stored[0];
