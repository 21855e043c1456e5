import { StateError } from '../core/errors.js';
import { fromSortableTime, sortableTime } from '../state/state-key.js';

/**
 * The checkpoint layout of a keyed process function's state, version `p1`. A checkpoint written
 * with one layout must load in every later version: a new layout gets a new prefix and a reader
 * of the old one. Pinned by `test/process/process-state-layout.test.ts`.
 *
 * ```
 * p1/m                              { watermark, state }          progress and what the state means
 * p1/v/<name>/<key>                 value                         value state <name> of a key
 * p1/k/<name>/<key>/<mapKey>        value                         one entry of map state <name>
 * p1/l/<name>/<key>                 [element, …]                  list state <name> of a key
 * p1/e/<time>/<key>                 1                             an event-time timer
 * p1/p/<time>/<key>                 1                             a processing-time timer
 * p1/x/<key>                        event time                    the key's last write (with `ttl`)
 * ```
 *
 * `<key>` and `<mapKey>` are key texts (`encodeKey`): they identify the key, decode back to it, and
 * hold a `/` only inside a quoted string, so the first `/` outside quotes ends `<key>`. `<name>`
 * is an identifier (no `/`). Times are `sortableTime` (16 hex digits, key order is time order), so
 * the timer tables are in firing order and a disk-resident store finds what a watermark makes due
 * with one range scan up to `p1/e/<sortableTime(W)>` ; a key's value, list and map entries are
 * one point or one range per state. A timer's key is its deduplication: registering the same
 * (time, key) twice writes one entry.
 */
export const PROCESS_STATE_VERSION = 'p1';

/** State key of the operator's progress and state description. */
export const PROCESS_META_KEY = 'p1/m';
/** Prefix of event-time timers. */
export const EVENT_TIMER_PREFIX = 'p1/e/';
/** Prefix of processing-time timers. */
export const PROCESSING_TIMER_PREFIX = 'p1/p/';
/** Prefix of the keys' last write times, kept with `ttl`. */
export const LAST_WRITE_PREFIX = 'p1/x/';

/** Prefix of value state `name`: `p1/v/<name>/`. */
export function valuePrefix(name: string): string {
  return `p1/v/${name}/`;
}

/** Prefix of map state `name`: `p1/k/<name>/`. */
export function mapPrefix(name: string): string {
  return `p1/k/${name}/`;
}

/** Prefix of list state `name`: `p1/l/<name>/`. */
export function listPrefix(name: string): string {
  return `p1/l/${name}/`;
}

/** What a state name may be: an identifier, so it never holds the `/` that ends it. */
export const STATE_NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * The key of a timer, below its table's prefix: `<time>/<key>`.
 * @example timerKey(5, '"a"') // '8000000000000005/"a"'
 */
export function timerKey(time: number, keyText: string): string {
  return `${sortableTime(time)}/${keyText}`;
}

/**
 * Reads a timer's key below its table's prefix.
 * @throws StateError `STATE_CORRUPT` when it is not one.
 */
export function parseTimerKey(key: string): { time: number; keyText: string } {
  if (key.length < 18 || key.charCodeAt(16) !== 0x2f) throw corrupt(key, 'a timer');
  return { time: fromSortableTime(key.slice(0, 16)), keyText: key.slice(17) };
}

/**
 * The key of a map-state entry below its table's prefix: `<key>/<mapKey>`.
 * @example mapEntryKey('"a/b"', '7') // '"a/b"/7'
 */
export function mapEntryKey(keyText: string, mapKeyText: string): string {
  return `${keyText}/${mapKeyText}`;
}

/**
 * Splits a map-state entry's key into the key's and the map key's texts: at the first `/` outside
 * a quoted string (key texts quote every string they hold, with JSON's escapes).
 * @throws StateError `STATE_CORRUPT` when there is no such `/`.
 */
export function splitMapEntryKey(key: string): { keyText: string; mapKeyText: string } {
  let quoted = false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x2f) return { keyText: key.slice(0, i), mapKeyText: key.slice(i + 1) };
  }
  throw corrupt(key, 'a map-state entry');
}

/** What `p1/m` holds. */
export interface ProcessMeta {
  watermark: number;
  /** The state description ({@link describeProcessState}) the checkpoint was written for. */
  state: string;
}

/**
 * Checks a stored `p1/m` value.
 * @throws StateError `STATE_CORRUPT` when it is not one.
 */
export function checkProcessMeta(value: unknown): ProcessMeta {
  const meta = value as Partial<ProcessMeta> | null;
  if (meta === null || typeof meta !== 'object' || typeof meta.watermark !== 'number' || typeof meta.state !== 'string') {
    throw new StateError('STATE_CORRUPT', `process: the state entry ${PROCESS_META_KEY} is not { watermark, state }`);
  }
  return { watermark: meta.watermark, state: meta.state };
}

/**
 * The description of a process function's state, stored with its checkpoints and compared on
 * restore: the declared states' names and kinds in name order, and the TTL.
 * @example describeProcessState({ total: 'value', seen: 'map' }, 86_400_000) // 'seen:map,total:value;ttl=86400000'
 */
export function describeProcessState(kinds: Record<string, string>, ttl: number | undefined): string {
  const states = Object.keys(kinds)
    .sort()
    .map((name) => `${name}:${kinds[name]}`)
    .join(',');
  return `${states};ttl=${ttl === undefined ? 'none' : ttl}`;
}

/** Reads a description back into its states' kinds and its TTL. */
export function parseProcessState(description: string): { kinds: Map<string, string>; ttl: string } {
  const [states, ttl = ''] = description.split(';');
  const kinds = new Map<string, string>();
  for (const part of states.split(',')) {
    if (part === '') continue;
    const [name, kind] = part.split(':');
    kinds.set(name, kind);
  }
  return { kinds, ttl: ttl.replace(/^ttl=/, '') };
}

function corrupt(key: string, what: string): StateError {
  return new StateError('STATE_CORRUPT', `process: the state key ${JSON.stringify(key)} is not ${what}`);
}

/**
 * The layout of a keyed process function whose state is resident (`levelState(dir, { memory })`),
 * version `r1`: keys of the operator's `ResidentState`, read and written one by one, never loaded
 * whole. Value and list state keep the `p1` shape; a map state keeps a key's whole map in one
 * entry (its size, membership and ordered entries are then one read: the store has no synchronous
 * range scan); timers and expiries sit in time buckets, so only the bucket numbers stay in memory.
 *
 * ```
 * r1/m                          { watermark, state, keys, timers, …buckets }  progress and counters
 * r1/n/<key>                    number of state entries of the key (keys with state)
 * r1/v/<name>/<key>             value                     value state <name> of a key
 * r1/l/<name>/<key>             [element, …]              list state <name> of a key
 * r1/k/<name>/<key>             Map(mapKey text → [mapKey, value])  map state <name> of a key
 * r1/x/<key>                    event time                the key's last write (with `ttl`)
 * r1/s/<key>                    1                         the key's expiry is queued (with `ttl`)
 * r1/e/<time>/<key>             1                         a pending event-time timer
 * r1/t/e/<bucket>/<chunk>       [[time, key], …]          event-time timers registered in a bucket
 * r1/t/x/<bucket>/<chunk>       [[time, key], …]          expiries queued in a bucket
 * r1/q/e, r1/q/x                [[time, key], …]          the buckets already read, at a checkpoint
 * ```
 *
 * A bucket is `floor(time / TIMER_BUCKET_MS)`. Bucket entries may repeat or be stale (a timer
 * deleted): `r1/e/…` is the truth, checked when the bucket runs.
 */
export const RESIDENT_STATE_VERSION = 'r1';
/** State key of a resident operator's progress, counters and timer buckets. */
export const RESIDENT_META_KEY = 'r1/m';
/** Prefix of the per-key entry counts. */
export const RESIDENT_COUNT_PREFIX = 'r1/n/';
/** Prefix of the keys' last write times. */
export const RESIDENT_LAST_WRITE_PREFIX = 'r1/x/';
/** Prefix of the keys whose expiry is queued. */
export const RESIDENT_SCHEDULED_PREFIX = 'r1/s/';
/** Prefix of the pending event-time timers. */
export const RESIDENT_TIMER_PREFIX = 'r1/e/';
/** Prefix of every time bucket (timers and expiries). */
export const RESIDENT_BUCKET_PREFIX = 'r1/t/';
/** Width of a time bucket of timers and expiries, in ms of event time. */
export const TIMER_BUCKET_MS = 10_000;

/** Prefix of a resident state: `r1/v/<name>/`, `r1/l/<name>/`, `r1/k/<name>/`. */
export function residentPrefix(kind: 'value' | 'list' | 'map', name: string): string {
  return `r1/${kind === 'value' ? 'v' : kind === 'list' ? 'l' : 'k'}/${name}/`;
}
