import type { StateFingerprint } from '../core/operator.js';
import type { StateDigest } from './state-digest.js';

/**
 * The on-disk layout of {@link levelState}, format versions 2 and 3. It is written down here, where it is
 * defined, and pinned byte for byte by `test/state/state-key.test.ts`, because a checkpoint
 * written by one version of streamkit must load in the next.
 *
 * ```
 * 0x00 "meta"                                              → v8({ magic, formatVersion: 2 or 3, body, checksum })
 * 0x01 <uid, UTF-8> 0x00 <generation, u32 BE> <key, UTF-8> → v8(value)
 * ```
 *
 * - The meta record is an envelope every version can read: `magic` tells a streamkit directory
 *   from any other LevelDB, `formatVersion` the layout; `body` is `v8(CheckpointMeta)` and
 *   `checksum` the CRC-32C of `body`'s bytes, so a damaged meta record never passes for another
 *   checkpoint. The body names the last complete checkpoint id, the source position as of its
 *   barrier, and per operator uid its live generation, fingerprint and digest (the number of
 *   entries and the sum of each entry's CRC-32C), which open verifies against the entries it reads.
 * - An operator uid never contains `0x00`, so the first `0x00` after the `0x01` prefix ends it and
 *   an operator's own keys may contain any character, `\x00` included.
 * - A full snapshot writes a new generation instead of deleting the old entries inside the atomic
 *   batch (that would double its size); older generations, and operators the meta record no longer
 *   names, are garbage, cleared after the write and again at open, and never read.
 * - A resident operator (`levelState(dir, { memory })`) keeps one generation for good: every
 *   checkpoint writes only its changes, its range deletes are listed in `clearing` and cleared
 *   right after the batch (and again at open, after a crash in between), and a restore reads none
 *   of its entries until a key is asked for.
 * - LevelDB orders keys bytewise, so one operator's entries of one generation are contiguous and in
 *   UTF-8 byte order of their keys; {@link sortableTime} makes time-ordered keys out of numbers.
 *
 * Format 3 is format 2 with a watermark left unfinished (see {@link stateFormatOf}).
 *
 * Format 1 (read, never written): the meta record was `v8({ magic, formatVersion: 1, checkpointId,
 * sourcePosition, generations })`, without fingerprints or digests, and operator uids were their
 * positions in the pipeline (`3-window`).
 */
export const STATE_FORMAT_VERSION = 3;

/**
 * The format a checkpoint is written in. Format 3 is format 2 written while an operator is in the
 * middle of a watermark (a checkpoint between two of its steps): its restore must finish that
 * watermark before anything else, which a streamkit reading only format 2 would not do. Such a
 * streamkit refuses format 3 instead of restoring it wrongly; every other checkpoint stays format 2,
 * which it reads.
 */
export function stateFormatOf(unfinishedWatermark: boolean): number {
  return unfinishedWatermark ? 3 : 2;
}

/** Tells a streamkit state directory from any other LevelDB. */
export const STATE_MAGIC = 'streamkit-state';

/** Key of the meta record. */
export const META_KEY: Buffer = Buffer.from([0x00, 0x6d, 0x65, 0x74, 0x61]); // "\0meta"

const STATE_PREFIX = 0x01;

/** The meta record as stored: an envelope around the body, readable by every format version. */
export interface MetaEnvelope {
  magic: string;
  formatVersion: number;
  /** `v8(CheckpointMeta)` (format 2). */
  body: Uint8Array;
  /** CRC-32C of `body` (`crc32c.ts`). */
  checksum: number;
}

/** What the meta record holds (format 2). */
export interface CheckpointMeta {
  checkpointId: number;
  sourcePosition: unknown;
  /** Per operator uid: where its state lives, what it means and what it must add up to. */
  operators: Record<string, OperatorMeta>;
}

/** One operator's entry in the meta record. */
export interface OperatorMeta extends StateDigest {
  /** The live generation of its entries. */
  generation: number;
  /** What its state means, as the pipeline that wrote it described it. */
  fingerprint?: StateFingerprint;
  /**
   * True for an operator whose keyed state is resident (`levelState(dir, { memory })`): its entries
   * are read lazily, key by key, so the digest is not kept (`entries` and `checksum` are 0).
   */
  resident?: true;
  /** Prefixes of its keys this checkpoint deleted by range: cleared right after it, and again at open. */
  clearing?: string[];
}

/** The meta record of format 1 (read only). */
export interface CheckpointMetaV1 {
  magic: string;
  formatVersion: 1;
  checkpointId: number;
  sourcePosition: unknown;
  /** Live generation per operator uid. */
  generations: Record<string, number>;
}

/**
 * Checks that `uid` can name an operator's state: non-empty, no `\x00`.
 * @throws TypeError naming the rule.
 */
export function assertUid(uid: string): void {
  if (typeof uid !== 'string' || uid.length === 0 || uid.includes('\x00')) {
    throw new TypeError(`operator uid must be a non-empty string without \\x00, got ${JSON.stringify(uid)}`);
  }
}

/**
 * Encodes the LevelDB key of one state entry.
 * @param uid the operator's uid.
 * @param generation the operator's generation (0 … 2³²-1).
 * @param key the operator's own key.
 * @example encodeStateKey('3-dedup', 0, 'trip-1') // <01 33 2d 64 65 64 75 70 00 00 00 00 00 74 72 69 70 2d 31>
 */
export function encodeStateKey(uid: string, generation: number, key: string): Buffer {
  return encodeKeyAfter(statePrefix(uid, generation), key);
}

/**
 * Encodes the key of one state entry after a prefix made by {@link statePrefix}: one allocation per
 * key when a checkpoint writes many keys of one operator.
 */
export function encodeKeyAfter(prefix: Buffer, key: string): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + Buffer.byteLength(key, 'utf8'));
  prefix.copy(out, 0);
  out.write(key, prefix.length, 'utf8');
  return out;
}

/**
 * The bytes every key of (`uid`, `generation`) starts with; a range scan of one operator's state
 * is `gte: prefix, lt: prefixEnd(prefix)`.
 */
export function statePrefix(uid: string, generation: number): Buffer {
  const uidBytes = Buffer.from(uid, 'utf8');
  const out = Buffer.allocUnsafe(1 + uidBytes.length + 1 + 4);
  out[0] = STATE_PREFIX;
  uidBytes.copy(out, 1);
  out[1 + uidBytes.length] = 0x00;
  out.writeUInt32BE(generation >>> 0, 2 + uidBytes.length);
  return out;
}

/**
 * The smallest key greater than every key that starts with `prefix` (prefixes here never end in
 * 0xff runs that matter: the last byte is incremented with carry).
 */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff: no finite upper bound; callers treat an empty buffer as "to the end".
  return Buffer.alloc(0);
}

/** A decoded state key, or `undefined` for a key that is not a state entry. */
export interface DecodedStateKey {
  uid: string;
  generation: number;
  key: string;
}

/** Decodes a key written by {@link encodeStateKey}; `undefined` when `bytes` is not one. */
export function decodeStateKey(bytes: Buffer): DecodedStateKey | undefined {
  if (bytes.length < 6 || bytes[0] !== STATE_PREFIX) return undefined;
  const zero = bytes.indexOf(0x00, 1);
  if (zero < 2 || zero + 5 > bytes.length) return undefined;
  return {
    uid: bytes.toString('utf8', 1, zero),
    generation: bytes.readUInt32BE(zero + 1),
    key: bytes.toString('utf8', zero + 5),
  };
}

/**
 * The one encoder of times in state keys: 16 hex digits of the 64-bit two's complement of `t`
 * with the sign bit flipped (big-endian), so that comparing the texts compares the numbers,
 * negative times included, and a range scan over keys is a scan in time order. Window state keys
 * (`src/windowing/window-state-layout.ts`) and every other time-ordered key use it.
 * @param t an integer of less than 64 bits (epoch ms are safe integers; window ends a little
 *   past the safe range, `t + gap` near 2^53, are still exact integers and encode exactly).
 * @throws RangeError when `t` is not such an integer.
 * @example sortableTime(0) // '8000000000000000'; sortableTime(-1) // '7fffffffffffffff'
 */
export function sortableTime(t: number): string {
  if (!Number.isInteger(t) || t >= TWO_63 || t < -TWO_63) {
    throw new RangeError(`sortableTime: time must be an integer below 2^63 in magnitude (a safe integer is exact), got ${t}`);
  }
  // Safe integers (every epoch ms) in one conversion: 2^63 + t is 8 and t's 15 hex digits for
  // t >= 0; for t < 0 it is 0x7fe0000000000000 + (t + 2^53), whose 14th digit is e or f.
  if (t >= 0 && t < TWO_53) return `8${pad(t.toString(16), 15)}`;
  if (t < 0 && t > -TWO_53) {
    const u = t + TWO_53;
    return u >= TWO_52 ? `7ff${pad((u - TWO_52).toString(16), 13)}` : `7fe${pad(u.toString(16), 13)}`;
  }
  // Both halves are exact: t / 2^32 only moves the exponent, and t - hi * 2^32 is an integer
  // below 2^32 that is a multiple of t's own precision.
  const hi = Math.floor(t / TWO_32);
  const lo = t - hi * TWO_32;
  return pad(((hi ^ 0x80000000) >>> 0).toString(16), 8) + pad(lo.toString(16), 8);
}

/** Inverse of {@link sortableTime}. */
export function fromSortableTime(text: string): number {
  if (!SORTABLE_TIME.test(text)) throw new RangeError(`fromSortableTime: expected 16 lowercase hex digits, got ${JSON.stringify(text)}`);
  const hi = (parseInt(text.slice(0, 8), 16) ^ 0x80000000) | 0;
  return hi * TWO_32 + parseInt(text.slice(8), 16);
}

const TWO_32 = 2 ** 32;
const TWO_52 = 2 ** 52;
const TWO_53 = 2 ** 53;
const TWO_63 = 2 ** 63;
const SORTABLE_TIME = /^[0-9a-f]{16}$/;
const ZEROS = '000000000000000';

/** `text` left-padded with zeros to `width` (at most 15). */
function pad(text: string, width: number): string {
  return text.length >= width ? text : ZEROS.slice(0, width - text.length) + text;
}

/** Orders strings the way LevelDB orders their UTF-8 bytes (JS `<` compares UTF-16 units and differs above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
