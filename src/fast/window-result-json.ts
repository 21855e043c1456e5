import { JsonLineWriter } from './json-line-writer.js';

/**
 * Appends the JSON text of a window result, byte for byte what `JSON.stringify` writes, and
 * returns `true`; returns `false` with nothing appended when `item` is not shaped exactly like the
 * window operator's results (the caller then uses `JSON.stringify`). Window results are most of
 * what sinks write, and their text is mostly fixed keys, integers and a hex id: written straight
 * as bytes, a line costs no string at all, where `JSON.stringify` builds one per line.
 *
 * "Exactly shaped": a plain object whose own enumerable keys are `key, window, value, pane, id`
 * (then `retraction: true`) in that order; `window` a plain `{ start, end }` of numbers; `pane` a
 * plain `{ index, timing }` with a number and a string; `id` a string; no `toJSON` on any of them
 * or on the key and value. A value that is a plain object of numbers, strings, booleans and nulls
 * is written directly; any other key or value goes through `JSON.stringify`.
 *
 * Plain definition: `JSON.stringify(item)` (pinned by `test/fast/window-result-json.test.ts`,
 * measured by `bench/fast-paths.bench.ts`).
 * @example
 * writeWindowResultJson({ key: 7, window: { start: 0, end: 60000 }, value: 3, pane: { index: 0, timing: 'on-time' }, id: 'ab' }, out)
 * // appends '{"key":7,"window":{"start":0,"end":60000},"value":3,"pane":{"index":0,"timing":"on-time"},"id":"ab"}'
 */
export function writeWindowResultJson(item: unknown, out: JsonLineWriter): boolean {
  if (!isPlain(item)) return false;
  const r = item as Record<string, unknown>;
  let n = 0;
  for (const name in r) {
    if (name !== RESULT_KEYS[n]) return false;
    n++;
  }
  if (n < 5 || (n === 6 && r.retraction !== true)) return false;
  const { key, window: w, value, pane: p, id } = r;
  if (!isPlain(w) || !isPlain(p) || typeof id !== 'string') return false;
  // The window operator shares frozen window and pane objects between results: their text is
  // cached by identity (a frozen object cannot change), checked and formatted once.
  const windowText = w === lastWindow ? lastWindowText : windowBytes(w as Record<string, unknown>);
  const paneText = p === lastPane ? lastPaneText : paneBytes(p as Record<string, unknown>);
  if (windowText === undefined || paneText === undefined) return false;
  // A toJSON on the key or value is called with its property name, which a separate stringify would not pass.
  if (hasToJson(key) || hasToJson(value) || !isPlainString(id)) return false;
  const begin = out.length;
  out.bytes(KEY);
  // Key and value may still turn out to be something JSON leaves out (undefined, a function).
  if (!writeJsonValue(key, out)) {
    out.truncate(begin);
    return false;
  }
  out.bytes(windowText);
  if (!writeJsonValue(value, out)) {
    out.truncate(begin);
    return false;
  }
  out.bytes(paneText);
  out.text(id);
  out.bytes(n === 6 ? RETRACTION_END : END);
  return true;
}

let lastWindow: object | undefined;
let lastWindowText: Uint8Array | undefined;
let lastPane: object | undefined;
let lastPaneText: Uint8Array | undefined;
const scratch = new JsonLineWriter();

/** `,"window":{"start":…,"end":…},"value":` for a plain `{ start, end }` of numbers, else undefined. */
function windowBytes(w: Record<string, unknown>): Uint8Array | undefined {
  if (!hasKeys(w, 'start', 'end')) return undefined;
  const { start, end } = w;
  if (typeof start !== 'number' || typeof end !== 'number') return undefined;
  scratch.reset();
  scratch.bytes(WINDOW_START);
  writeNumber(start, scratch);
  scratch.bytes(WINDOW_END);
  writeNumber(end, scratch);
  scratch.bytes(VALUE);
  const text = scratch.slice();
  if (isFrozenData(w, 'start', 'end')) {
    lastWindow = w;
    lastWindowText = text;
  }
  return text;
}

/** `,"pane":{"index":…,"timing":"…"},"id":"` for a plain `{ index, timing }`, else undefined. */
function paneBytes(p: Record<string, unknown>): Uint8Array | undefined {
  if (!hasKeys(p, 'index', 'timing')) return undefined;
  const { index, timing } = p;
  if (typeof index !== 'number' || typeof timing !== 'string' || !isPlainString(timing)) return undefined;
  scratch.reset();
  scratch.bytes(PANE_INDEX);
  writeNumber(index, scratch);
  scratch.bytes(PANE_TIMING);
  scratch.text(timing);
  scratch.bytes(ID);
  const text = scratch.slice();
  if (isFrozenData(p, 'index', 'timing')) {
    lastPane = p;
    lastPaneText = text;
  }
  return text;
}

/** Frozen, with `a` and `b` plain data properties (a getter could answer differently each time): its text cannot change. */
function isFrozenData(o: object, a: string, b: string): boolean {
  return (
    Object.isFrozen(o) &&
    Object.getOwnPropertyDescriptor(o, a)?.get === undefined &&
    Object.getOwnPropertyDescriptor(o, b)?.get === undefined
  );
}

/** Own keys in the order the window operator creates them; `retraction` only on retractions. */
const RESULT_KEYS = ['key', 'window', 'value', 'pane', 'id', 'retraction'];

const ascii = (s: string) => Buffer.from(s, 'latin1');
const KEY = ascii('{"key":');
const WINDOW_START = ascii(',"window":{"start":');
const WINDOW_END = ascii(',"end":');
const VALUE = ascii('},"value":');
const PANE_INDEX = ascii(',"pane":{"index":');
const PANE_TIMING = ascii(',"timing":"');
const ID = ascii('"},"id":"');
const END = ascii('"}');
const RETRACTION_END = ascii('","retraction":true}');
const TRUE = ascii('true');
const FALSE = ascii('false');
const NULL = ascii('null');

/**
 * Appends JSON's text for a key or value and returns `true`, or returns `false` when JSON would
 * leave it out (undefined, a function, a symbol). Numbers, plain strings, booleans, null and flat
 * plain objects of those are written directly; anything else through `JSON.stringify`.
 */
function writeJsonValue(x: unknown, out: JsonLineWriter): boolean {
  if (typeof x === 'number') {
    writeNumber(x, out);
    return true;
  }
  if (typeof x === 'string' && isPlainString(x)) {
    writeQuoted(x, out);
    return true;
  }
  if (isPlain(x) && writeFlatObject(x as Record<string, unknown>, out)) return true;
  const text = JSON.stringify(x);
  if (text === undefined) return false;
  out.text(text);
  return true;
}

/** Appends a plain object whose values are all numbers, plain strings, booleans or null; `false` (nothing appended) otherwise. */
function writeFlatObject(o: Record<string, unknown>, out: JsonLineWriter): boolean {
  // for…in rather than Object.keys: no array per value. JSON writes own keys only; an inherited
  // enumerable key (a polluted prototype) sends the value down the general route.
  let n = 0;
  let known = true;
  for (const name in o) {
    const v = o[name];
    if (!(typeof v === 'number' || typeof v === 'boolean' || v === null || (typeof v === 'string' && isPlainString(v))) || !hasOwn(o, name))
      return false;
    // Values of one aggregate share their names: compare with the last names seen (usually the
    // same strings), and reuse their `{"name":` / `,"name":` bytes.
    if (known && name !== fieldNames[n]) known = false;
    n++;
  }
  if (!known || n !== fieldNames.length) {
    fieldNames.length = 0;
    fieldHeads.length = 0;
    for (const name in o) {
      if (!isPlainString(name)) return false;
      fieldHeads.push(Buffer.from((fieldNames.length === 0 ? '{' : ',') + JSON.stringify(name) + ':', 'utf8'));
      fieldNames.push(name);
    }
  }
  if (n === 0) {
    out.byte(0x7b); // {
    out.byte(0x7d); // }
    return true;
  }
  let i = 0;
  for (const name in o) {
    out.bytes(fieldHeads[i++]);
    const v = o[name];
    if (typeof v === 'number') writeNumber(v, out);
    else if (typeof v === 'string') writeQuoted(v, out);
    else out.bytes(v === true ? TRUE : v === false ? FALSE : NULL);
  }
  out.byte(0x7d); // }
  return true;
}

/** The names of the last flat value written, and the bytes that open each of its fields. */
const fieldNames: string[] = [];
const fieldHeads: Uint8Array[] = [];

const hasOwn = (o: object, name: string) => Object.prototype.hasOwnProperty.call(o, name);

/** JSON's text for a number: finite numbers as `String` writes them, the rest `null`. */
function writeNumber(x: number, out: JsonLineWriter): void {
  if (Number.isFinite(x)) out.decimal(x);
  else out.bytes(NULL);
}

function writeQuoted(s: string, out: JsonLineWriter): void {
  out.byte(0x22);
  out.text(s);
  out.byte(0x22);
}

/** A plain object with no `toJSON` of its own or inherited (which JSON.stringify would call). */
function isPlain(o: unknown): o is object {
  return (
    typeof o === 'object' && o !== null && Object.getPrototypeOf(o) === Object.prototype && (o as { toJSON?: unknown }).toJSON === undefined
  );
}

function hasToJson(x: unknown): boolean {
  return (typeof x === 'object' || typeof x === 'bigint') && x !== null && typeof (x as { toJSON?: unknown }).toJSON === 'function';
}

/** Whether the enumerable keys of `o` are exactly `a` then `b`. */
function hasKeys(o: object, a: string, b: string): boolean {
  let n = 0;
  for (const name in o) {
    if (name !== (n === 0 ? a : n === 1 ? b : undefined)) return false;
    n++;
  }
  return n === 2;
}

/** A string JSON writes unescaped: no quote, backslash, control or surrogate code unit. */
function isPlainString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}
