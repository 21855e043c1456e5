import { describeError } from '../core/errors.js';

/** Levels of nesting rendered before a value is replaced by {@link TOO_DEEP}. */
export const JSON_SAFE_MAX_DEPTH = 100;
const CIRCULAR = '[circular]';
const TOO_DEEP = '[too deep]';

/**
 * A copy of `value` that `JSON.stringify` writes without throwing, and writes as it writes `value`
 * wherever that does not throw: for a value JSON can write, `JSON.stringify(jsonSafeValue(v))`
 * equals `JSON.stringify(v)`. What JSON cannot write is replaced by text: a bigint by its decimal
 * digits, a reference back to an enclosing object by `'[circular]'`, anything nested deeper than
 * {@link JSON_SAFE_MAX_DEPTH} levels by `'[too deep]'`, a `toJSON` or getter that throws by
 * `'[unreadable: <error>]'`. Functions, symbols and `undefined` are left out, as JSON leaves them
 * out (`null` in an array). This is how a dead letter is written when its raw record is not plain
 * JSON data: the sink that writes dead letters has nowhere further to send one.
 * @param value anything.
 * @example
 * const raw: Record<string, unknown> = { id: 12n };
 * raw.self = raw;
 * JSON.stringify(jsonSafeValue(raw)); // '{"id":"12","self":"[circular]"}'
 */
export function jsonSafeValue(value: unknown): unknown {
  return safe(value, '', 0, new Set());
}

/** JSON's SerializeJSONProperty, rendering what would throw instead of throwing. */
function safe(value: unknown, key: string, depth: number, enclosing: Set<object>): unknown {
  try {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function' || typeof value === 'bigint') {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = toJSON.call(value, key);
    }
    // Boxed primitives are written as what they box.
    if (value instanceof Number) value = Number(value);
    else if (value instanceof String) value = String(value);
    else if (value instanceof Boolean || value instanceof BigInt) value = value.valueOf();
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (typeof value !== 'object' || value === null) return value;
    if (enclosing.has(value)) return CIRCULAR;
    if (depth >= JSON_SAFE_MAX_DEPTH) return TOO_DEEP;
    enclosing.add(value);
    try {
      return Array.isArray(value) ? safeArray(value, depth, enclosing) : safeObject(value, depth, enclosing);
    } finally {
      enclosing.delete(value);
    }
  } catch (error) {
    return `[unreadable: ${describeError(error)}]`;
  }
}

function safeArray(array: unknown[], depth: number, enclosing: Set<object>): unknown[] {
  const out = new Array<unknown>(array.length);
  for (let i = 0; i < array.length; i++) out[i] = safe(array[i], String(i), depth + 1, enclosing);
  return out;
}

function safeObject(object: object, depth: number, enclosing: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(object)) {
    let item: unknown;
    try {
      item = (object as Record<string, unknown>)[name];
    } catch (error) {
      item = `[unreadable: ${describeError(error)}]`;
    }
    const rendered = safe(item, name, depth + 1, enclosing);
    if (rendered === undefined) continue;
    // A plain assignment to "__proto__" would set the copy's prototype instead of a property.
    if (name === '__proto__') Object.defineProperty(out, name, { value: rendered, enumerable: true, writable: true, configurable: true });
    else out[name] = rendered;
  }
  return out;
}
