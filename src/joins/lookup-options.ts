import { parseDuration, type Duration } from '../core/duration.js';
import { checkOptions } from '../core/options.js';

/** Which records of a lookup join are emitted without a row: none (`'inner'`) or all (`'left'`, with `null`). */
export type LookupKind = 'inner' | 'left';

/** Options of `table(stream, keyOf, options)`. */
export interface TableOptions<R> {
  /**
   * Tells a delete from an upsert: a row for which it returns true removes its key from the table
   * from the row's time on (a tombstone), and is never itself joined. Default: every row is an upsert.
   */
  isDelete?: (row: R) => boolean;
}

/** Options of `stream.lookup(table, keyOf, fn, options)`. */
export interface LookupOptions {
  /** `'inner'` (default): records that find a row only; `'left'`: also each record that finds none, with `null`. */
  kind?: LookupKind;
  /**
   * How far behind the watermark a record is still answered exactly (default 0): table versions
   * are kept that much longer, and the watermark after the lookup is held back by it. Records
   * later than that go to `.late()`.
   */
  allowedLateness?: Duration;
}

/** Validated lookup options in milliseconds: what the lookup's state means. */
export interface LookupSpec {
  readonly kind: LookupKind;
  readonly allowedLateness: number;
  /**
   * `'versioned'`: the table stream is timestamped, each row a version from its time on;
   * `'static'`: it is not, every row is valid from the beginning of time.
   */
  readonly table: 'versioned' | 'static';
}

const KINDS: readonly LookupKind[] = ['inner', 'left'];

/**
 * Checks lookup options and applies defaults.
 * @param options what the user passed to `lookup`.
 * @param table whether the table stream has event time (`'versioned'`) or not (`'static'`).
 * @throws TypeError or RangeError naming the bad option.
 * @example lookupSpecOf({ kind: 'left' }, 'static') // { kind: 'left', allowedLateness: 0, table: 'static' }
 */
export function lookupSpecOf(options: LookupOptions | undefined, table: LookupSpec['table']): LookupSpec {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError("lookup(table, keyOf, fn, options): options must be an object such as { kind: 'left' }");
  }
  checkOptions('lookup', options, ['kind', 'allowedLateness']);
  const kind = options?.kind ?? 'inner';
  if (!KINDS.includes(kind)) throw new TypeError(`lookup kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const allowedLateness = options?.allowedLateness === undefined ? 0 : parseDuration(options.allowedLateness, 'lookup allowedLateness');
  return Object.freeze({ kind, allowedLateness, table });
}

/**
 * Checks table options.
 * @param options what the user passed to `table`.
 * @throws TypeError naming the bad option.
 * @example checkTableOptions({ isDelete: (row) => row.deleted })
 */
export function checkTableOptions<R>(options: TableOptions<R> | undefined): void {
  checkOptions('table', options, ['isDelete']);
  if (options?.isDelete !== undefined && typeof options.isDelete !== 'function') {
    throw new TypeError(`table: option isDelete must be a function row => boolean, got ${typeof options.isDelete}`);
  }
}
