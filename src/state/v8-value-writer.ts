import { deserialize, serialize } from 'node:v8';
import { isDeepStrictEqual } from 'node:util';

/**
 * Tags of V8's serialization format (`v8.serialize`), as its deserializer reads them in every
 * version since Node 12 (format version 13 and later).
 */
const INT = 0x49; // 'I' zigzag varint int32
const DOUBLE = 0x4e; // 'N' float64 LE
const ONE_BYTE_STRING = 0x22; // '"' varint length, Latin-1 bytes
const TRUE = 0x54; // 'T'
const FALSE = 0x46; // 'F'
const NULL = 0x30; // '0'
const UNDEFINED = 0x5f; // '_'
const OBJECT = 0x6f; // 'o' key, value … '{' varint count
const END_OBJECT = 0x7b;
const DENSE_ARRAY = 0x41; // 'A' varint length, elements … '$' varint count, varint length
const END_DENSE_ARRAY = 0x24;

/** Encoded values larger than this go to `v8.serialize` (whose start-up cost they amortise). */
const MAX_BYTES = 64 * 1024;
/** Longer arrays go to `v8.serialize`: checking them for named properties costs more than it saves. */
const MAX_ARRAY = 64;
/** Values nested deeper, or holding more objects, go to `v8.serialize`. */
const MAX_DEPTH = 32;
const MAX_OBJECTS = 256;

/** The bytes of the last value encoded by {@link writeCommonValue}: `[0, length)`, valid until the next call. */
export const encodedValue: Buffer = Buffer.allocUnsafeSlow(MAX_BYTES + 1024); // room for the closing tags past MAX_BYTES
let at = 0;
/** The objects of the value being encoded: one seen twice (shared or a cycle) needs `v8.serialize`'s references. */
const seen: object[] = [];

/**
 * Encodes the commonest shapes of state values in V8's serialization format, without starting a
 * serializer or allocating a buffer per value: numbers, Latin-1 strings, booleans, null, undefined,
 * and plain objects and arrays (up to 64 elements, no holes, no named properties) of them.
 * `v8.deserialize` reads the bytes back to a value equal to what `v8.deserialize(v8.serialize(value))`
 * gives, so what is stored stays `v8(value)`; the bytes may differ from `v8.serialize`'s (it writes an
 * integer held as a double as a double, this writes every int32 as an integer).
 *
 * Anything else (Maps, Dates, typed arrays, two-byte strings, shared or cyclic objects, class
 * instances, bigints) returns -1, and the caller uses `v8.serialize`, which also throws for what
 * cannot be stored.
 * @returns the length of the encoding in {@link encodedValue}, or -1.
 * @example
 * const length = writeCommonValue([{ s: 1_704_067_200_000, e: 1_704_069_000_000, id: 3 }]);
 * v8.deserialize(encodedValue.subarray(0, length)) // [{ s: 1704067200000, e: 1704069000000, id: 3 }]
 */
export function writeCommonValue(value: unknown): number {
  return ENABLED ? encode(value) : -1;
}

function encode(value: unknown): number {
  encodedValue[0] = HEADER[0];
  encodedValue[1] = HEADER[1];
  at = 2;
  seen.length = 0;
  const ok = write(value, 0);
  seen.length = 0;
  return ok ? at : -1;
}

function write(value: unknown, depth: number): boolean {
  if (at > MAX_BYTES) return false;
  switch (typeof value) {
    case 'number':
      writeNumber(value);
      return true;
    case 'string':
      return writeString(value);
    case 'boolean':
      encodedValue[at++] = value ? TRUE : FALSE;
      return true;
    case 'undefined':
      encodedValue[at++] = UNDEFINED;
      return true;
    case 'object':
      if (value === null) {
        encodedValue[at++] = NULL;
        return true;
      }
      if (depth >= MAX_DEPTH || seen.length >= MAX_OBJECTS || seen.includes(value)) return false;
      seen.push(value);
      if (Array.isArray(value)) return writeArray(value, depth);
      if (Object.getPrototypeOf(value) === Object.prototype) return writeObject(value as Record<string, unknown>, depth);
      return false;
    default:
      return false;
  }
}

function writeNumber(value: number): void {
  // Every int32 but -0 as an integer (V8 reads it back as the same number), the rest as a double.
  if ((value | 0) === value && !(value === 0 && 1 / value < 0)) {
    encodedValue[at++] = INT;
    writeVarint(((value << 1) ^ (value >> 31)) >>> 0);
  } else {
    encodedValue[at++] = DOUBLE;
    encodedValue.writeDoubleLE(value, at);
    at += 8;
  }
}

function writeString(value: string): boolean {
  const length = value.length;
  if (at + length > MAX_BYTES) return false;
  for (let i = 0; i < length; i++) if (value.charCodeAt(i) > 0xff) return false;
  encodedValue[at++] = ONE_BYTE_STRING;
  writeVarint(length);
  at += encodedValue.write(value, at, length, 'latin1');
  return true;
}

function writeArray(value: unknown[], depth: number): boolean {
  const length = value.length;
  if (length > MAX_ARRAY || Object.getPrototypeOf(value) !== Array.prototype) return false;
  // A hole or a named property is written by V8 in ways this does not cover.
  if (Object.keys(value).length !== length) return false;
  encodedValue[at++] = DENSE_ARRAY;
  writeVarint(length);
  for (let i = 0; i < length; i++) {
    const element = value[i];
    if ((element === undefined && !(i in value)) || !write(element, depth + 1)) return false;
  }
  encodedValue[at++] = END_DENSE_ARRAY;
  writeVarint(0);
  writeVarint(length);
  return true;
}

function writeObject(value: Record<string, unknown>, depth: number): boolean {
  encodedValue[at++] = OBJECT;
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !writeString(key) || !write(value[key], depth + 1)) return false;
    count++;
  }
  encodedValue[at++] = END_OBJECT;
  writeVarint(count);
  return true;
}

function writeVarint(n: number): void {
  while (n >= 0x80) {
    encodedValue[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  encodedValue[at++] = n;
}

/** This Node's format header (`0xff`, version), from its own serializer. */
const HEADER: Buffer = serialize(null).subarray(0, 2);

/**
 * On only if this Node's serializer starts with the header assumed and reads back every shape as
 * `v8.serialize` would have it (else every value goes to `v8.serialize`).
 */
const ENABLED: boolean = (() => {
  const probe = serialize(null);
  if (probe.length !== 3 || probe[0] !== 0xff || probe[2] !== NULL) return false;
  const samples: unknown[] = [
    1.5,
    -7,
    -0,
    2 ** 31,
    NaN,
    'trip-7',
    'é',
    true,
    false,
    null,
    undefined,
    [],
    {},
    [1, 'a', { x: 2.5, 0: 'i' }],
    [{ s: 1_704_067_200_000, e: 1_704_069_000_000, id: 3, acc: [1, 2] }],
  ];
  for (const sample of samples) {
    const length = encode(sample);
    if (length < 0 || !isDeepStrictEqual(deserialize(encodedValue.subarray(0, length)), deserialize(serialize(sample)))) return false;
  }
  return true;
})();
