/**
 * Bytes assumed for an entry of the cache beyond its key and value: the Map slot, the entry object,
 * the key string header (calibrated against `heapUsed` for numbers, strings and session records).
 */
const ENTRY_OVERHEAD = 112;

/**
 * An estimate of the heap bytes a state value holds, for the memory budget of resident state: V8
 * does not tell an object's size, and encoding every value to measure it would cost as much as
 * writing it. Numbers and booleans count 8 bytes, strings 2 per character plus a header, arrays
 * and objects a header plus their members (to a depth of 4, below which 64 bytes each).
 * @example estimateSize({ start: 0, acc: [1, 2] }) // 104
 */
export function estimateSize(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'undefined':
      return 8;
    case 'string':
      return 16 + 2 * value.length;
    case 'bigint':
      return 24;
    case 'object': {
      if (value === null) return 8;
      if (depth >= 4) return 64;
      if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
      if (Array.isArray(value)) {
        let bytes = 16 + 8 * value.length;
        for (let i = 0; i < value.length; i++) bytes += estimateSize(value[i], depth + 1);
        return bytes;
      }
      if (value instanceof Map) {
        let bytes = 48;
        for (const [k, v] of value) bytes += 32 + estimateSize(k, depth + 1) + estimateSize(v, depth + 1);
        return bytes;
      }
      let bytes = 32;
      for (const k in value) bytes += 8 + estimateSize((value as Record<string, unknown>)[k], depth + 1);
      return bytes;
    }
    default:
      return 16;
  }
}

/**
 * The bytes a cache entry costs: its key (twice: the cache's and the entry's), its value, overhead.
 * @example entrySize('g/1/trip-7', 8) // 172
 */
export function entrySize(key: string, valueBytes: number): number {
  return ENTRY_OVERHEAD + 2 * (16 + key.length) + valueBytes;
}
