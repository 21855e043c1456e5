/**
 * The identity of a key (the value `keyBy` returns) as text: what result ids hash and what state
 * keys hold. Two keys are the same key exactly when their texts are equal, so the encoding is
 * injective by construction, and it is type-tagged so that keys JSON would confuse stay apart:
 *
 * | key | text |
 * |---|---|
 * | string | `JSON.stringify(s)` — `"zone-7"` |
 * | finite number | `String(n)`, which is JSON's text — `7`, `0.5`, `1e+21`; `-0` is `0`: one key, as `===` and `Map` say |
 * | `NaN`, `Infinity`, `-Infinity` | `NaN`, `Infinity`, `-Infinity` |
 * | bigint | decimal digits and `n` — `12n` (another key than the number `12`) |
 * | `true`, `false`, `null` | as JSON |
 * | `undefined` | `undefined` |
 * | `Date` | `Date(<epoch ms>)`, `Date(NaN)` for an invalid date (another key than its ISO string) |
 * | array | `[` the elements' texts joined by `,` `]`; a hole reads as `undefined` |
 * | plain object (prototype `Object.prototype` or `null`) | `{"name":text,…}` over its own enumerable string keys, in `Object.keys` order |
 *
 * Strings, numbers, booleans, `null`, and arrays and plain objects made of them are therefore
 * written exactly as `JSON.stringify` writes them: the result ids of such keys are the ones every
 * earlier version computed. Property order is part of an object's identity (`{ a, b }` and
 * `{ b, a }` are two keys), as it is of its JSON text and of Flink's and Kafka Streams' serialized
 * keys; build key objects the same way every time.
 *
 * Anything else cannot be a key: functions, symbols, class instances other than `Date` (a `Map`,
 * a `Buffer`, a boxed string, an instance of your own class: JSON would give many of them one
 * text), cycles, and nesting deeper than {@link MAX_KEY_DEPTH}. {@link encodeKey} throws an
 * {@link UnencodableKeyError} for them, and operators send the record to the dead letters with
 * its message.
 */

/** How deep arrays and objects may nest inside a key. */
export const MAX_KEY_DEPTH = 64;

/** Thrown by {@link encodeKey} for a value that cannot be a key; the message says why. */
export class UnencodableKeyError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'UnencodableKeyError';
  }
}

/**
 * The text of a key (see the table above).
 * @param key any value `keyBy` returned.
 * @throws UnencodableKeyError for a function, symbol, class instance other than `Date`, cycle, or too deep a nesting.
 * @example encodeKey('zone-7') // '"zone-7"'; encodeKey(NaN) // 'NaN'; encodeKey(new Date(0)) // 'Date(0)'
 * @see decodeKey, keyIdentity
 */
export function encodeKey(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key);
    case 'number':
      // Numbers (zone ids, vendor ids) are the usual key: String() is JSON's text for every finite
      // number, from V8's number-string cache, without starting a JSON serializer per window.
      if (key - key === 0) return String(key);
      return key !== key ? 'NaN' : key > 0 ? 'Infinity' : '-Infinity';
    case 'object':
      return key === null ? 'null' : encodeComposite(key, 0, []);
    default:
      return encodeScalar(key);
  }
}

/** Texts of the primitives other than strings and numbers. */
function encodeScalar(key: unknown): string {
  switch (typeof key) {
    case 'boolean':
      return key ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `${key}n`;
    case 'symbol':
      throw new UnencodableKeyError(`a symbol (${String(key)}) cannot be a key: symbols have no stable text`);
    default:
      throw new UnencodableKeyError(`a ${typeof key} cannot be a key`);
  }
}

function encodeValue(value: unknown, depth: number, ancestors: object[]): string {
  if (typeof value === 'object' && value !== null) return encodeComposite(value, depth, ancestors);
  return encodeKey(value);
}

function encodeComposite(value: object, depth: number, ancestors: object[]): string {
  if (value instanceof Date && Object.getPrototypeOf(value) === Date.prototype) return `Date(${value.getTime()})`;
  if (ancestors.includes(value)) throw new UnencodableKeyError('a key cannot contain itself (a cycle)');
  if (depth >= MAX_KEY_DEPTH) throw new UnencodableKeyError(`a key cannot nest arrays and objects deeper than ${MAX_KEY_DEPTH} levels`);
  const proto = Object.getPrototypeOf(value);
  ancestors.push(value);
  let text: string;
  if (Array.isArray(value) && proto === Array.prototype) {
    text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + encodeValue(value[i], depth + 1, ancestors);
    text += ']';
  } else if (proto === Object.prototype || proto === null) {
    text = '{';
    let first = true;
    for (const name of Object.keys(value)) {
      text += (first ? '' : ',') + JSON.stringify(name) + ':' + encodeValue((value as Record<string, unknown>)[name], depth + 1, ancestors);
      first = false;
    }
    text += '}';
  } else {
    throw new UnencodableKeyError(
      `a ${describeClass(value)} cannot be a key: keys are strings, numbers, bigints, booleans, null, undefined, Dates, and arrays and plain objects of these`,
    );
  }
  ancestors.pop();
  return text;
}

function describeClass(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name.length > 0 ? `${name} (a class instance)` : 'class instance';
}

/**
 * What a key is in memory, for `Map`s of live state: the key itself when it is a primitive
 * (`Map` compares those as {@link encodeKey} does: `NaN` equals `NaN`, `-0` equals `0`), and a
 * string that no primitive key can equal for arrays, objects and Dates. Cheap for the usual
 * string and number keys; validates the others.
 * @throws UnencodableKeyError as {@link encodeKey} does.
 * @example keyIdentity(7) // 7; keyIdentity({ zone: 7 }) // '\u0000{"zone":7}'
 */
export function keyIdentity(key: unknown): unknown {
  switch (typeof key) {
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return key;
    case 'string':
      // Identities of composites start with U+0000: a string key that does too is escaped.
      return key.length > 0 && key.charCodeAt(0) === 0 ? COMPOSITE_MARK + JSON.stringify(key) : key;
    case 'object':
      return key === null ? null : COMPOSITE_MARK + encodeComposite(key, 0, []);
    default:
      return encodeScalar(key);
  }
}

const COMPOSITE_MARK = '\u0000';

/**
 * The key a text of {@link encodeKey} stands for: a value whose text is `text` again (a plain
 * object for an object, `0` for `-0`; holes of arrays come back as `undefined`).
 * @param text a text made by {@link encodeKey}.
 * @throws SyntaxError when `text` is not one.
 * @example decodeKey('{"zone":7}') // { zone: 7 }; decodeKey('12n') // 12n
 */
export function decodeKey(text: string): unknown {
  const reader = { text, at: 0 };
  const value = readValue(reader, 0);
  if (reader.at !== text.length) throw malformed(reader);
  return value;
}

interface Reader {
  readonly text: string;
  at: number;
}

const WORDS: ReadonlyArray<readonly [string, unknown]> = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['undefined', undefined],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];

function readValue(r: Reader, depth: number): unknown {
  const { text } = r;
  const c = text.charCodeAt(r.at);
  if (c === 0x22) return readString(r);
  if (c === 0x5b || c === 0x7b) {
    if (depth >= MAX_KEY_DEPTH) throw malformed(r);
    return c === 0x5b ? readArray(r, depth) : readObject(r, depth);
  }
  for (const [word, value] of WORDS) {
    if (text.startsWith(word, r.at)) {
      r.at += word.length;
      return value;
    }
  }
  if (text.startsWith('Date(', r.at)) {
    const close = text.indexOf(')', r.at);
    if (close < 0) throw malformed(r);
    const ms = text.slice(r.at + 5, close);
    if (ms !== 'NaN' && !INTEGER.test(ms)) throw malformed(r);
    r.at = close + 1;
    return new Date(ms === 'NaN' ? NaN : Number(ms));
  }
  NUMBER.lastIndex = r.at;
  const match = NUMBER.exec(text);
  if (!match) throw malformed(r);
  r.at = NUMBER.lastIndex;
  if (match[2] !== undefined) {
    if (!INTEGER.test(match[1])) throw malformed(r);
    return BigInt(match[1]);
  }
  return Number(match[1]);
}

/** A number as `String(n)` writes one, or the digits of a bigint followed by `n`. */
const NUMBER = /(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]\d+)?)(n)?/y;
const INTEGER = /^-?(?:0|[1-9]\d*)$/;

function readString(r: Reader): string {
  const { text } = r;
  let i = r.at + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (Number.isNaN(c)) throw malformed(r);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) break;
    else i++;
  }
  const value = JSON.parse(text.slice(r.at, i + 1)) as string;
  r.at = i + 1;
  return value;
}

function readArray(r: Reader, depth: number): unknown[] {
  const out: unknown[] = [];
  r.at++;
  if (r.text.charCodeAt(r.at) === 0x5d) {
    r.at++;
    return out;
  }
  for (;;) {
    out.push(readValue(r, depth + 1));
    const c = r.text.charCodeAt(r.at++);
    if (c === 0x5d) return out;
    if (c !== 0x2c) throw malformed(r);
  }
}

function readObject(r: Reader, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  r.at++;
  if (r.text.charCodeAt(r.at) === 0x7d) {
    r.at++;
    return out;
  }
  for (;;) {
    if (r.text.charCodeAt(r.at) !== 0x22) throw malformed(r);
    const name = readString(r);
    if (r.text.charCodeAt(r.at++) !== 0x3a) throw malformed(r);
    // defineProperty: a property named `__proto__` is an own property, as in the encoded object.
    Object.defineProperty(out, name, { value: readValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
    const c = r.text.charCodeAt(r.at++);
    if (c === 0x7d) return out;
    if (c !== 0x2c) throw malformed(r);
  }
}

function malformed(r: Reader): SyntaxError {
  return new SyntaxError(`not a key text at character ${r.at}: ${JSON.stringify(r.text.length > 80 ? `${r.text.slice(0, 80)}…` : r.text)}`);
}
