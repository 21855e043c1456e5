/**
 * The JSON text of a window result, exactly as `JSON.stringify` writes it, or `undefined` when
 * `item` is not shaped exactly like the window operator's results (the caller then uses
 * `JSON.stringify`). Window results are most of what sinks write: `JSON.stringify` formats their
 * epoch-millisecond bounds through its own number conversion each time, while `'' + n` reuses
 * V8's number-to-string cache, and every key, bound and pane here is written without a walk.
 *
 * "Exactly shaped": a plain object whose own enumerable keys are `key, window, value, pane, id`
 * (then `retraction: true`) in that order; `window` a plain `{ start, end }` of numbers; `pane` a
 * plain `{ index, timing }` with a number and a string; `id` a string; no `toJSON` on any of them
 * or on the key and value, which go through `JSON.stringify`. Each property is read once, as
 * `JSON.stringify` reads it.
 * @example windowResultJson({ key: 7, window: { start: 0, end: 60000 }, value: 3, pane: { index: 0, timing: 'on-time' }, id: 'ab' })
 * // '{"key":7,"window":{"start":0,"end":60000},"value":3,"pane":{"index":0,"timing":"on-time"},"id":"ab"}'
 */
export function windowResultJson(item: unknown): string | undefined {
  if (!isPlain(item)) return undefined;
  const r = item as Record<string, unknown>;
  let n = 0;
  for (const name in r) {
    if (name !== RESULT_KEYS[n]) return undefined;
    n++;
  }
  if (n < 5 || (n === 6 && r.retraction !== true)) return undefined;
  const { key, window: w, value, pane: p, id } = r;
  if (!isPlain(w) || !hasKeys(w, 'start', 'end') || !isPlain(p) || !hasKeys(p, 'index', 'timing')) return undefined;
  const { start, end } = w as Record<string, unknown>;
  const { index, timing } = p as Record<string, unknown>;
  if (typeof start !== 'number' || typeof end !== 'number' || typeof index !== 'number' || typeof timing !== 'string' || typeof id !== 'string') return undefined;
  // A toJSON on the key or value is called with its property name, which a separate stringify would not pass.
  if (hasToJson(key) || hasToJson(value)) return undefined;
  const keyText = typeof key === 'number' ? number(key) : JSON.stringify(key);
  const valueText = JSON.stringify(value);
  const timingText = plainString(timing);
  const idText = plainString(id);
  // undefined: a key or value JSON leaves out (undefined, a function), or a string needing escapes.
  if (keyText === undefined || valueText === undefined || timingText === undefined || idText === undefined) return undefined;
  return (
    '{"key":' + keyText +
    ',"window":{"start":' + number(start) + ',"end":' + number(end) +
    '},"value":' + valueText +
    ',"pane":{"index":' + number(index) + ',"timing":' + timingText +
    '},"id":' + idText +
    (n === 6 ? ',"retraction":true}' : '}')
  );
}

/** Own keys in the order the window operator creates them; `retraction` only on retractions. */
const RESULT_KEYS = ['key', 'window', 'value', 'pane', 'id', 'retraction'];

/** A plain object with no `toJSON` of its own or inherited (which JSON.stringify would call). */
function isPlain(o: unknown): o is object {
  return typeof o === 'object' && o !== null && Object.getPrototypeOf(o) === Object.prototype && (o as { toJSON?: unknown }).toJSON === undefined;
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

/** JSON's text for a number: finite numbers as `String` writes them, the rest `null`. */
function number(x: number): string {
  return Number.isFinite(x) ? '' + x : 'null';
}

/** `"s"` for a string JSON writes unescaped (no quote, backslash, control or surrogate code unit), else undefined. */
function plainString(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return undefined;
  }
  return '"' + s + '"';
}
