import { encodeKey } from '../core/key-encoding.js';

/**
 * A total order on window keys so oracle output and operator output sort the same way:
 * `null`/`undefined` first, then booleans, numbers (numerically), bigints, strings, and anything
 * else (arrays, objects, Dates) by its key text (`encodeKey`).
 * @example [3, 'a', null, 1].sort(compareKeys) // [null, 1, 3, 'a']
 */
export function compareKeys(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 4) {
    const ta = encodeKey(a);
    const tb = encodeKey(b);
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  }
  const x = a as number | string | bigint | boolean;
  const y = b as number | string | bigint | boolean;
  return x < y ? -1 : x > y ? 1 : 0;
}

function rank(k: unknown): number {
  if (k === null || k === undefined) return 0;
  switch (typeof k) {
    case 'boolean':
    case 'number':
      return 1;
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    default:
      return 4;
  }
}
