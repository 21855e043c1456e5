import { serialize } from 'node:v8';

/**
 * The first bytes `v8.serialize` writes for a heap number (format header, then the `N` tag before
 * the double's 8 bytes), learnt from this Node's own serializer; `undefined` if this Node lays
 * doubles out otherwise, and then every value goes through `serialize`.
 */
const DOUBLE_PREFIX: Buffer | undefined = (() => {
  const probe = serialize(1.5);
  const expected = Buffer.alloc(8);
  expected.writeDoubleLE(1.5);
  if (probe.length !== 11 || !probe.subarray(3).equals(expected)) return undefined;
  return Buffer.from(probe.subarray(0, 3));
})();

/**
 * Whether v8 may hold `x` as a small integer (Smi): an integer within 32 bits (31 with pointer
 * compression). For such a number `v8.serialize` writes either a varint (`I`) or a double (`N`),
 * depending on how the engine happens to store it (a double object field, a typed array read), which
 * JavaScript cannot see; every other number is a heap number, always written as a double.
 */
function maybeSmallInteger(x: number): boolean {
  return Number.isInteger(x) && x >= -2147483648 && x <= 2147483647;
}

/**
 * `v8.serialize(value)`, byte for byte, with a fast path for the commonest state value: a number
 * that can only be a heap number (epoch milliseconds, a fraction, -0, NaN, ±Infinity), whose 11
 * bytes are written directly instead of starting a serializer (about 12× faster,
 * `bench/fast-paths.bench.ts`). Every other value goes to `v8.serialize`.
 *
 * Plain definition: `v8.serialize` (pinned by `test/fast/serialize-state-value.test.ts`).
 * @param value a structured-cloneable value.
 * @throws what `v8.serialize` throws for values it cannot encode (functions, symbols).
 * @example serializeStateValue(1_704_067_200_000).equals(v8.serialize(1_704_067_200_000)) // true
 */
export function serializeStateValue(value: unknown): Buffer {
  if (typeof value === 'number' && DOUBLE_PREFIX !== undefined && !maybeSmallInteger(value)) {
    const bytes = Buffer.allocUnsafe(11);
    DOUBLE_PREFIX.copy(bytes, 0);
    bytes.writeDoubleLE(value, 3);
    return bytes;
  }
  return serialize(value);
}
