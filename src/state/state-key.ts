import type { StateFingerprint } from '../core/operator.js';
import type { StateDigest } from './state-digest.js';

/**
 * The on-disk layout of {@link levelState}, format version 2. It is written down here, where it is
 * defined, and pinned byte for byte by `test/state/state-key.test.ts`, because a checkpoint
 * written by one version of streamkit must load in the next.
 *
 * ```
 * 0x00 "meta"                                              → v8({ magic, formatVersion: 2, body, checksum })
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
 * - LevelDB orders keys bytewise, so one operator's entries of one generation are contiguous and in
 *   UTF-8 byte order of their keys; {@link sortableTime} makes time-ordered keys out of numbers.
 *
 * Format 1 (read, never written): the meta record was `v8({ magic, formatVersion: 1, checkpointId,
 * sourcePosition, generations })`, without fingerprints or digests, and operator uids were their
 * positions in the pipeline (`3-window`).
 */
export const STATE_FORMAT_VERSION = 2;

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
 * Encodes an integer time (or any safe integer) as 16 hex digits of its 64-bit two's complement
 * with the sign bit flipped, so that comparing the strings compares the numbers — negative times
 * included. Use it to build state keys whose key order is time order.
 * @param t a safe integer (epoch ms).
 * @throws RangeError when `t` is not a safe integer.
 * @example sortableTime(0) // '8000000000000000'; sortableTime(-1) // '7fffffffffffffff'
 */
export function sortableTime(t: number): string {
  if (!Number.isSafeInteger(t)) throw new RangeError(`sortableTime: time must be a safe integer, got ${t}`);
  const buf = Buffer.allocUnsafe(8);
  buf.writeBigInt64BE(BigInt(t));
  buf[0] ^= 0x80;
  return buf.toString('hex');
}

/** Inverse of {@link sortableTime}. */
export function fromSortableTime(text: string): number {
  if (!/^[0-9a-f]{16}$/.test(text)) throw new RangeError(`fromSortableTime: expected 16 lowercase hex digits, got ${JSON.stringify(text)}`);
  const buf = Buffer.from(text, 'hex');
  buf[0] ^= 0x80;
  return Number(buf.readBigInt64BE());
}

/** Orders strings the way LevelDB orders their UTF-8 bytes (JS `<` compares UTF-16 units and differs above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
