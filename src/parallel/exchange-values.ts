/**
 * The values an exchange carries: JSON-like records, as sources and the taxi example produce.
 *
 * | value | arrives as |
 * |---|---|
 * | string, number (also `NaN`, `±Infinity`, `-0`), boolean, `null`, `undefined`, bigint | the same value |
 * | `Date` | a `Date` of the same time |
 * | array (holes kept) | an array |
 * | plain object (prototype `Object.prototype` or `null`) | a plain object (`Object.prototype`), same own enumerable properties in order |
 *
 * Anything else is refused before it is sent, with an {@link UnsupportedExchangeValueError} that
 * names the record and the path: functions and symbols (which cannot cross threads), class
 * instances other than `Date` (`Map`, `Buffer`, an instance of your own class: structured cloning
 * would turn many into plain objects without their methods), and nesting deeper than
 * {@link MAX_EXCHANGE_DEPTH} (which a cycle is). Symbol-keyed properties are not looked at: like
 * structured cloning, the exchange carries own enumerable string-keyed properties only.
 */

/** How deep arrays and objects may nest inside one record. */
export const MAX_EXCHANGE_DEPTH = 64;

/** A value an exchange cannot carry; `record` is its index in the batch, `path` where inside it. */
export class UnsupportedExchangeValueError extends TypeError {
  constructor(
    readonly record: number,
    readonly path: string,
    what: string,
  ) {
    super(
      `record ${record}${path === '' ? '' : ` at ${path}`}: ${what} cannot cross an exchange between threads; ` +
        'records are strings, numbers, bigints, booleans, null, undefined, Dates, and arrays and plain objects of these',
    );
    this.name = 'UnsupportedExchangeValueError';
  }
}

/**
 * Checks that every value of a batch can cross an exchange unchanged. The check is a walk that
 * allocates nothing; only a refusal walks the record again to say where.
 * @throws UnsupportedExchangeValueError for the first value that cannot.
 */
export function checkExchangeValues(values: readonly unknown[]): void {
  for (let i = 0; i < values.length; i++) {
    if (!isSupported(values[i], 0)) throw refusal(values[i], i, '', 0) ?? new UnsupportedExchangeValueError(i, '', 'a value');
  }
}

function isSupported(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return true;
    case 'object':
      return value === null || isSupportedComposite(value, depth);
    default:
      return false;
  }
}

function isSupportedComposite(value: object, depth: number): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto === Date.prototype) return true;
  if (depth >= MAX_EXCHANGE_DEPTH) return false;
  if (proto === Array.prototype && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isSupported((value as unknown[])[i], depth + 1)) return false;
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  for (const name in value) if (!isSupported((value as Record<string, unknown>)[name], depth + 1)) return false;
  return true;
}

/** Where and why `value` is not supported, found on the slow path after {@link isSupported} said no. */
function refusal(value: unknown, record: number, path: string, depth: number): UnsupportedExchangeValueError | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return new UnsupportedExchangeValueError(record, path, `a ${typeof value}`);
  if (typeof value !== 'object' || value === null) return undefined;
  const proto = Object.getPrototypeOf(value);
  if (proto === Date.prototype) return undefined;
  if (depth >= MAX_EXCHANGE_DEPTH) {
    return new UnsupportedExchangeValueError(record, path, `nesting deeper than ${MAX_EXCHANGE_DEPTH} levels (or a cycle)`);
  }
  if (proto === Array.prototype && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = refusal((value as unknown[])[i], record, `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (proto !== Object.prototype && proto !== null) return new UnsupportedExchangeValueError(record, path, describeClass(value));
  for (const name in value) {
    const found = refusal((value as Record<string, unknown>)[name], record, `${path}.${name}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function describeClass(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name.length > 0 ? `a ${name} (a class instance)` : 'a class instance';
}
