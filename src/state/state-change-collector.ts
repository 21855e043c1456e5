import { serialize } from 'node:v8';
import { StateError } from '../core/errors.js';
import type { StateWriter } from '../core/operator.js';
import type { OperatorStateChanges } from '../core/state-backend.js';

/**
 * A state value already encoded with `v8.serialize`. Backends store its bytes as they are, so a
 * value is encoded once, at the moment the operator hands it over.
 */
export class EncodedStateValue {
  constructor(readonly bytes: Buffer) {}
}

/**
 * The first bytes `v8.serialize` writes for a double (format header, then the double's tag),
 * learnt from this Node's own serializer: numbers are the commonest state value (dedup's times,
 * counters), and building their 11 bytes directly costs a fraction of a serializer object per
 * value. `v8.deserialize` reads them back as the same number (v8 itself writes small integers in a
 * shorter form that reads back the same). `undefined` if this Node lays doubles out otherwise; then
 * every value goes through `serialize`.
 */
const NUMBER_PREFIX: Buffer | undefined = (() => {
  const probe = serialize(1.5);
  const expected = Buffer.alloc(8);
  expected.writeDoubleLE(1.5);
  if (probe.length !== 11 || !probe.subarray(3).equals(expected)) return undefined;
  return Buffer.from(probe.subarray(0, 3));
})();

/** Property names the flat-object shortcut writes: identifiers (never array indices) up to 127 chars. */
const FLAT_KEY = /^[A-Za-z_$][\w$]{0,126}$/;
/** Strings v8 writes as one-byte strings (Latin-1). */
// eslint-disable-next-line no-control-regex -- the whole Latin-1 range, control characters included
const LATIN1 = /^[\x00-\xff]*$/;

/**
 * Writes a plain object whose values are numbers, Latin-1 strings, booleans or null (the shape of
 * most accumulators: `{ sum, count }`) in v8's own wire format, without a serializer object:
 * header, `o`, then per property a one-byte-string key and its value (`N` + double, `"` + length +
 * bytes, `T`, `F`, `0`), then `{` and the property count. `undefined` for any other shape.
 */
function encodeFlatObject(value: object, header: Buffer): Buffer | undefined {
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 64) return undefined;
  let size = header.length + 1 + 1 + 1;
  for (const key of keys) {
    if (!FLAT_KEY.test(key)) return undefined;
    size += 2 + key.length;
    const v = record[key];
    if (typeof v === 'number') size += 9;
    else if (typeof v === 'string') {
      if (v.length > 0x3fff || !LATIN1.test(v)) return undefined;
      size += 3 + v.length;
    } else if (v === true || v === false || v === null) size += 1;
    else return undefined;
  }
  const out = Buffer.allocUnsafe(size);
  let at = header.copy(out, 0);
  out[at++] = 0x6f; // 'o': begin JS object
  for (const key of keys) {
    out[at++] = 0x22; // '"': one-byte string
    out[at++] = key.length;
    at += out.write(key, at, 'latin1');
    const v = record[key];
    if (typeof v === 'number') {
      out[at++] = 0x4e; // 'N': double
      at = out.writeDoubleLE(v, at);
    } else if (typeof v === 'string') {
      out[at++] = 0x22;
      at = writeVarint(out, at, v.length);
      at += out.write(v, at, 'latin1');
    } else {
      out[at++] = v === true ? 0x54 : v === false ? 0x46 : 0x30; // 'T', 'F', '0'
    }
  }
  out[at++] = 0x7b; // '{': end JS object, then the property count
  at = writeVarint(out, at, keys.length);
  return out.subarray(0, at);
}

function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

/**
 * The format header, if the flat-object shortcut writes exactly what this Node's `v8.serialize`
 * writes for a probe of every value kind it handles; otherwise the shortcut stays off.
 */
const FLAT_HEADER: Buffer | undefined = (() => {
  if (!NUMBER_PREFIX) return undefined;
  const header = NUMBER_PREFIX.subarray(0, 2);
  const probe = { sum: 1.5, count: -0.25, label: 'zone-\u00e9', on: true, off: false, none: null, long: 'x'.repeat(200) };
  const mine = encodeFlatObject(probe, header);
  return mine && mine.equals(serialize(probe)) ? Buffer.from(header) : undefined;
})();

/**
 * Encodes a state value for `v8.deserialize` (numbers and flat objects of numbers, Latin-1
 * strings, booleans and null by a shortcut writing v8's own format; everything else with
 * `v8.serialize`), unless it already is an {@link EncodedStateValue}.
 * @param value a structured-cloneable value.
 * @throws the serializer's error for values it cannot encode (functions, symbols).
 * @example deserialize(encodeStateValue({ sum: 1 })) // { sum: 1 }
 */
export function encodeStateValue(value: unknown): Buffer {
  if (value instanceof EncodedStateValue) return value.bytes;
  if (typeof value === 'number' && NUMBER_PREFIX) {
    const bytes = Buffer.allocUnsafe(11);
    NUMBER_PREFIX.copy(bytes, 0);
    bytes.writeDoubleLE(value, 3);
    return bytes;
  }
  if (typeof value === 'object' && value !== null && FLAT_HEADER) {
    const flat = encodeFlatObject(value, FLAT_HEADER);
    if (flat) return flat;
  }
  return serialize(value);
}

/**
 * The {@link StateWriter} the runtime hands to `snapshotState`: it encodes every value when it is
 * put, so the operator may go on mutating its live state (the next batch, while sinks flush)
 * without changing the checkpoint that is being written. A later put or delete of the same key
 * replaces an earlier one.
 * @param uid the operator's uid, named in errors.
 * @param full true when the operator writes its whole state (older entries are dropped).
 * @example
 * const writer = new StateChangeCollector('3-dedup', false);
 * operator.snapshotState?.(writer, false);
 * checkpoint.operators.set('3-dedup', writer.changes());
 */
export class StateChangeCollector implements StateWriter {
  private readonly puts = new Map<string, unknown>();
  private readonly deletes = new Set<string>();
  private encodedBytes = 0;

  constructor(
    readonly uid: string,
    readonly full: boolean,
  ) {}

  put(key: string, value: unknown): void {
    if (typeof key !== 'string') throw new TypeError(`state key of operator ${this.uid} must be a string, got ${typeof key}`);
    let bytes: Buffer;
    try {
      bytes = encodeStateValue(value);
    } catch (error) {
      throw new StateError(
        'STATE_CORRUPT',
        `operator ${this.uid} put a state value under ${JSON.stringify(key)} that cannot be serialized (functions, symbols and class prototypes are not stored)`,
        error,
      );
    }
    if (this.deletes.size > 0) this.deletes.delete(key);
    this.encodedBytes += bytes.length + key.length;
    this.puts.set(key, new EncodedStateValue(bytes));
  }

  delete(key: string): void {
    if (typeof key !== 'string') throw new TypeError(`state key of operator ${this.uid} must be a string, got ${typeof key}`);
    this.puts.delete(key);
    if (!this.full) this.deletes.add(key);
  }

  /** Number of puts and deletes collected. */
  get size(): number {
    return this.puts.size + this.deletes.size;
  }

  /** Bytes encoded so far (values plus keys; a replaced put still counts): the checkpoint's size, give or take. */
  get bytes(): number {
    return this.encodedBytes;
  }

  /** The collected changes, ready for `CheckpointData.operators`. */
  changes(): OperatorStateChanges {
    return { puts: this.puts, deletes: this.deletes, full: this.full };
  }
}
