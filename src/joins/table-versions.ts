import { StateError } from '../core/errors.js';
import type { MapTable } from '../core/keyed-state.js';
import { fromSortableTime, sortableTime } from '../state/state-key.js';
import { TimerHeap } from '../state/timer-heap.js';

/** One version of a table row: valid from `time` until the key's next version. */
export interface TableVersion {
  readonly time: number;
  /** The row, or `undefined` for a delete. */
  readonly row: unknown;
  readonly deleted: boolean;
}

/** The stored form of a version: `[1, row]` for an upsert, `[0]` for a delete. */
export type StoredVersion = [1, unknown] | [0];

/**
 * The versions of every row of a table, per key in time order (Kafka Streams' versioned key-value
 * store, Flink's temporal table state): `at(key, t)` is the version valid at `t`, the one with the
 * greatest time `<= t`. Two versions of a key at the same time are one: the later arrival replaces
 * the earlier.
 *
 * Retention: `prune(horizon)` drops every version no lookup at a time `>= horizon` can ask for,
 * that is each version older than its key's newest version at or before `horizon`, and that
 * version too when it is a delete. A key left with no version is forgotten.
 *
 * The versions are keyed state (in the `MapTable` given, under `<key text>/<sortableTime(time)>`);
 * prune timers are derived and rebuilt by {@link TableVersions.restored}.
 */
export class TableVersions {
  private readonly byKey = new Map<string, TableVersion[]>();
  /** Per version put: its key, to prune once the horizon reaches the version's time. */
  private readonly pruneAt = new TimerHeap<string>();
  private count = 0;

  constructor(private readonly stored: MapTable<StoredVersion>) {}

  /** Keys with at least one version. */
  get keys(): number {
    return this.byKey.size;
  }

  /** Versions held, over all keys. */
  get versions(): number {
    return this.count;
  }

  /** Adds a version of `keyText` at `time` (replacing one at the same time). */
  put(keyText: string, time: number, row: unknown, deleted: boolean): void {
    this.stored.set(stateKeyOf(keyText, time), deleted ? [0] : [1, row]);
    this.insert(keyText, { time, row: deleted ? undefined : row, deleted });
  }

  /** The version of `keyText` valid at `t`, if any (it may be a delete). */
  at(keyText: string, t: number): TableVersion | undefined {
    const list = this.byKey.get(keyText);
    if (!list) return undefined;
    const i = lastAtOrBefore(list, t, timeOfVersion);
    return i < 0 ? undefined : list[i];
  }

  /** The versions of `keyText` in time order, if it has any. */
  versionsOf(keyText: string): readonly TableVersion[] | undefined {
    return this.byKey.get(keyText);
  }

  /** The key texts with at least one version. */
  keyTexts(): Iterable<string> {
    return this.byKey.keys();
  }

  /** Drops what no lookup at a time `>= horizon` needs. */
  prune(horizon: number): void {
    while (this.pruneAt.size > 0 && this.pruneAt.peekTime() <= horizon) {
      const keyText = this.pruneAt.pop()!.ref;
      const list = this.byKey.get(keyText);
      if (!list) continue;
      const i = lastAtOrBefore(list, horizon, timeOfVersion);
      if (i < 0) continue;
      const drop = list[i].deleted ? i + 1 : i;
      if (drop === 0) continue;
      for (let d = 0; d < drop; d++) this.stored.delete(stateKeyOf(keyText, list[d].time));
      this.count -= drop;
      if (drop === list.length) this.byKey.delete(keyText);
      else list.splice(0, drop);
    }
  }

  /** Rebuilds the versions from the map table after a restore. */
  restored(): void {
    for (const [stateKey, value] of this.stored.entries()) {
      const { keyText, time } = parseVersionKey(stateKey);
      this.insert(keyText, value[0] === 1 ? { time, row: value[1], deleted: false } : { time, row: undefined, deleted: true });
    }
  }

  private insert(keyText: string, version: TableVersion): void {
    let list = this.byKey.get(keyText);
    if (!list) this.byKey.set(keyText, (list = []));
    const i = lastAtOrBefore(list, version.time, timeOfVersion);
    if (i >= 0 && list[i].time === version.time) {
      list[i] = version;
      return;
    }
    // Versions mostly come in time order: then this appends.
    list.splice(i + 1, 0, version);
    this.count++;
    this.pruneAt.push(version.time, 0, keyText);
  }
}

/**
 * Checks a stored version.
 * @param value what the checkpoint holds.
 * @param key its state key, named in the error.
 * @throws StateError `STATE_CORRUPT` when it is not `[1, row]` or `[0]`.
 */
export function decodeStoredVersion(value: unknown, key: string): StoredVersion {
  if (Array.isArray(value) && ((value.length === 2 && value[0] === 1) || (value.length === 1 && value[0] === 0))) {
    return value as StoredVersion;
  }
  throw new StateError('STATE_CORRUPT', `lookup: cannot read the table version ${JSON.stringify(key)}`);
}

function stateKeyOf(keyText: string, time: number): string {
  return `${keyText}/${sortableTime(time)}`;
}

/** Reads `<key text>/<sortableTime(time)>`; the key text may hold `/`, the time never does. */
function parseVersionKey(stateKey: string): { keyText: string; time: number } {
  const at = stateKey.lastIndexOf('/');
  if (at < 1) throw new StateError('STATE_CORRUPT', `lookup: cannot read the table version key ${JSON.stringify(stateKey)}`);
  try {
    return { keyText: stateKey.slice(0, at), time: fromSortableTime(stateKey.slice(at + 1)) };
  } catch (error) {
    throw new StateError('STATE_CORRUPT', `lookup: cannot read the table version key ${JSON.stringify(stateKey)}`, error);
  }
}

const timeOfVersion = (version: TableVersion): number => version.time;

/**
 * The index of the last of `list` (in time order) with time `<= t`, or -1.
 * @example lastAtOrBefore([{ time: 0 }, { time: 5 }], 4, (v) => v.time) // 0
 */
export function lastAtOrBefore<V>(list: readonly V[], t: number, timeOf: (version: V) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeOf(list[mid]) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
