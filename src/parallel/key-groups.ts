import { encodeKey } from '../core/key-encoding.js';
import { murmur3x8632Bytes } from '../windowing/murmur3.js';

/**
 * Key groups: the unit in which keyed state is split between workers, as in Flink's
 * `KeyGroupRangeAssignment`. A key belongs to one of `maxParallelism` groups for ever (the hash of
 * its text, modulo the count); a worker owns a contiguous range of groups, so a checkpoint taken
 * with N workers restores with M by handing each new worker the groups of its range.
 */

/** Flink's default number of key groups for small parallelism. */
export const DEFAULT_MAX_PARALLELISM = 128;

/** The most key groups a job may have (Flink's `UPPER_BOUND_MAX_PARALLELISM`, 2^15). */
export const MAX_KEY_GROUPS = 32_768;

/** The key groups one worker owns: `start` to `end`, both included (Flink's `KeyGroupRange`). */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The key group of a key: MurmurHash3 x86 32-bit (seed 0) of the UTF-8 bytes of
 * {@link encodeKey}'s text, unsigned, modulo `maxParallelism`. The text is what key identity means
 * (`-0` and `0`, two `NaN`s, equal objects built in the same property order hash alike), and it is
 * the same in every process and version, so the group is stable across restarts and workers.
 * @param key any value `keyBy` returns.
 * @param maxParallelism the number of key groups, 1 … 32768.
 * @throws UnencodableKeyError for a value that cannot be a key; RangeError for a bad `maxParallelism`.
 * @example keyGroupOf('zone-7', 128) // 0 … 127, the same in every worker and every run
 */
export function keyGroupOf(key: unknown, maxParallelism: number): number {
  checkMaxParallelism(maxParallelism);
  return hashKeyText(encodeKey(key)) % maxParallelism;
}

/**
 * The 32-bit hash {@link keyGroupOf} takes of a key's text, unsigned. Texts of ASCII characters
 * (the usual keys: numbers, ids) are written into a reused buffer without an encoder call.
 */
export function hashKeyText(text: string): number {
  const n = text.length;
  if (n > scratch.length) scratch = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) {
      const bytes = encoder.encode(text);
      return murmur3x8632Bytes(bytes, bytes.length);
    }
    scratch[i] = c;
  }
  return murmur3x8632Bytes(scratch, n);
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/**
 * The key groups worker `workerIndex` of `parallelism` owns, with Flink's formula
 * (`computeKeyGroupRangeForOperatorIndex`): from `ceil(i * max / p)` to `floor(((i + 1) * max - 1) / p)`.
 * The ranges of workers 0 … p-1 are contiguous and cover every group once; their sizes differ by
 * at most one.
 * @example keyGroupRange(1, 3, 128) // { start: 43, end: 85 }
 * @throws RangeError when an argument is out of range.
 */
export function keyGroupRange(workerIndex: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  checkParallelism(parallelism, maxParallelism);
  if (!Number.isInteger(workerIndex) || workerIndex < 0 || workerIndex >= parallelism) {
    throw new RangeError(`workerIndex must be an integer in [0, parallelism) = [0, ${parallelism}), got ${workerIndex}`);
  }
  return {
    start: Math.floor((workerIndex * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((workerIndex + 1) * maxParallelism - 1) / parallelism),
  };
}

/**
 * The worker that owns `keyGroup`, with Flink's formula (`computeOperatorIndexForKeyGroup`):
 * `floor(keyGroup * p / max)`, the inverse of {@link keyGroupRange}.
 * @example workerForKeyGroup(43, 3, 128) // 1
 * @throws RangeError when an argument is out of range.
 */
export function workerForKeyGroup(keyGroup: number, parallelism: number, maxParallelism: number): number {
  checkParallelism(parallelism, maxParallelism);
  if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= maxParallelism) {
    throw new RangeError(`keyGroup must be an integer in [0, maxParallelism) = [0, ${maxParallelism}), got ${keyGroup}`);
  }
  // Both factors are below 2^15, so the product is exact.
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

function checkMaxParallelism(maxParallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_KEY_GROUPS) {
    throw new RangeError(`maxParallelism must be an integer from 1 to ${MAX_KEY_GROUPS}, got ${maxParallelism}`);
  }
}

function checkParallelism(parallelism: number, maxParallelism: number): void {
  checkMaxParallelism(maxParallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new RangeError(`parallelism must be an integer from 1 to maxParallelism (${maxParallelism}), got ${parallelism}`);
  }
}
