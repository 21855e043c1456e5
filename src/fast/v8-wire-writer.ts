import { serialize } from 'node:v8';

const PADDING = 0x00;
const UNDEFINED = 0x5f; // '_'
const NULL = 0x30; // '0'
const TRUE = 0x54; // 'T'
const FALSE = 0x46; // 'F'
const INT32 = 0x49; // 'I'
const DOUBLE = 0x4e; // 'N'
const ONE_BYTE_STRING = 0x22; // '"'
const TWO_BYTE_STRING = 0x63; // 'c'
const BEGIN_OBJECT = 0x6f; // 'o'
const END_OBJECT = 0x7b; // '{'
const BEGIN_DENSE_ARRAY = 0x41; // 'A'
const END_DENSE_ARRAY = 0x24; // '$'

/** Objects and arrays one value may hold before it goes to `v8.serialize` (shared or cyclic references are looked for among them). */
const MAX_OBJECTS = 64;
/** Anything but a plain value: the caller serializes it with `v8.serialize`. */
const NOT_PLAIN = -1;

/**
 * Writes plain values (numbers, strings, booleans, `null`, `undefined`, plain objects and dense
 * arrays of them) in the format `v8.serialize` writes and `v8.deserialize` reads, into one reused
 * buffer. Every `v8.serialize` call makes a V8 serializer whose native memory (about 1.6 KB, more
 * for larger values) is neither counted in the heap nor given back when the serializer is
 * collected: a checkpoint of 50,000 state entries grew a process's resident memory by ~200 MB.
 * This writer allocates nothing per value.
 *
 * What `v8.deserialize` returns is what it returns for `v8.serialize(value)` of the same value;
 * the bytes may differ: a 32-bit integer is always written as an integer and every other number as
 * a double, whatever V8 holds it as, and object keys always as strings; V8 reads them alike.
 * Anything else (a `Map`, a `Date`, a class instance, a bigint, an array with holes or named
 * properties, an object reached twice) is left to `v8.serialize`.
 *
 * Plain definition: `v8.deserialize(writer.write(x)) ≡ v8.deserialize(v8.serialize(x))`, pinned by
 * `test/fast/v8-wire-writer.test.ts`.
 * @example new V8WireWriter().write({ n: 3, at: 1.5 }) // a Buffer v8.deserialize reads as { n: 3, at: 1.5 }
 */
export class V8WireWriter {
  private buffer = Buffer.allocUnsafeSlow(64 * 1024);
  private at = 0;
  /** The objects and arrays of the value being written, to find one reached twice. */
  private readonly seen: object[] = [];

  /** @param header the format's version header; by default this Node's, when its format was recognised. */
  constructor(private readonly header: Buffer | undefined = NODE_HEADER) {}

  /**
   * The serialized bytes of `value`: a view of the writer's buffer, valid until the next call, or a
   * buffer of `v8.serialize` for a value that is not plain.
   * @throws what `v8.serialize` throws for values it cannot encode (functions, symbols).
   */
  write(value: unknown): Buffer {
    return this.writePlain(value) ?? serialize(value);
  }

  /** The bytes of a plain value (a view of the writer's buffer), `undefined` for any other. */
  writePlain(value: unknown): Buffer | undefined {
    const header = this.header;
    if (header === undefined) return undefined;
    this.at = 0;
    this.seen.length = 0;
    this.reserve(header.length);
    this.at += header.copy(this.buffer, 0);
    return this.value(value) === NOT_PLAIN ? undefined : this.buffer.subarray(0, this.at);
  }

  private value(value: unknown): number {
    switch (typeof value) {
      case 'number':
        this.reserve(9);
        if ((value | 0) === value && !Object.is(value, -0)) {
          // A 32-bit integer: V8's zigzag varint, as it writes a small integer.
          this.buffer[this.at++] = INT32;
          this.varint(((value << 1) ^ (value >> 31)) >>> 0);
          return 0;
        }
        this.buffer[this.at] = DOUBLE;
        this.buffer.writeDoubleLE(value, this.at + 1);
        this.at += 9;
        return 0;
      case 'string':
        this.string(value);
        return 0;
      case 'boolean':
        this.byte(value ? TRUE : FALSE);
        return 0;
      case 'undefined':
        this.byte(UNDEFINED);
        return 0;
      case 'object':
        if (value === null) {
          this.byte(NULL);
          return 0;
        }
        return Array.isArray(value) ? this.array(value) : this.object(value);
      default:
        return NOT_PLAIN;
    }
  }

  private object(value: object): number {
    const proto: unknown = Object.getPrototypeOf(value);
    if ((proto !== Object.prototype && proto !== null) || !this.visit(value)) return NOT_PLAIN;
    this.byte(BEGIN_OBJECT);
    const keys = Object.keys(value);
    for (const key of keys) {
      this.string(key);
      if (this.value((value as Record<string, unknown>)[key]) === NOT_PLAIN) return NOT_PLAIN;
    }
    this.byte(END_OBJECT);
    this.varint(keys.length);
    return 0;
  }

  private array(value: unknown[]): number {
    const length = value.length;
    // Holes and named properties are written by V8 in other forms.
    if (Object.getPrototypeOf(value) !== Array.prototype || !this.visit(value)) return NOT_PLAIN;
    if (length > 0 && Object.keys(value).length !== length) return NOT_PLAIN;
    this.byte(BEGIN_DENSE_ARRAY);
    this.varint(length);
    for (let i = 0; i < length; i++) if (this.value(value[i]) === NOT_PLAIN) return NOT_PLAIN;
    this.byte(END_DENSE_ARRAY);
    this.varint(0);
    this.varint(length);
    return 0;
  }

  /** False for an object met before in this value (shared, or a cycle) or when the value holds too many. */
  private visit(value: object): boolean {
    const seen = this.seen;
    if (seen.length >= MAX_OBJECTS || seen.includes(value)) return false;
    seen.push(value);
    return true;
  }

  private string(value: string): void {
    const length = value.length;
    let oneByte = true;
    for (let i = 0; i < length; i++) {
      if (value.charCodeAt(i) > 0xff) {
        oneByte = false;
        break;
      }
    }
    if (oneByte) {
      this.reserve(1 + 5 + length);
      this.buffer[this.at++] = ONE_BYTE_STRING;
      this.varint(length);
      this.at += this.buffer.write(value, this.at, length, 'latin1');
      return;
    }
    const bytes = length * 2;
    this.reserve(2 + 5 + bytes);
    // V8 aligns a two-byte string's characters on an even offset.
    if ((this.at + 1 + varintLength(bytes)) & 1) this.buffer[this.at++] = PADDING;
    this.buffer[this.at++] = TWO_BYTE_STRING;
    this.varint(bytes);
    this.at += this.buffer.write(value, this.at, bytes, 'utf16le');
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buffer[this.at++] = b;
  }

  private varint(n: number): void {
    this.reserve(5);
    while (n >= 0x80) {
      this.buffer[this.at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buffer[this.at++] = n;
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.at + n));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }
}

function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n >>>= 7;
    length++;
  }
  return length;
}

/**
 * The format's version header as this Node writes it (`0xFF`, then the version), when the writer's
 * bytes for a probe equal `v8.serialize`'s; otherwise `undefined`, and every value goes to
 * `v8.serialize`.
 */
const NODE_HEADER: Buffer | undefined = (() => {
  const probe = { a: 'x', b: [1.5, true, null, '€'], c: undefined };
  const expected = serialize(probe);
  const header = Buffer.from(expected.subarray(0, 2));
  if (header[0] !== 0xff) return undefined;
  return new V8WireWriter(header).writePlain(probe)?.equals(expected) ? header : undefined;
})();
