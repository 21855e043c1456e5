import type { TableOptions } from '../joins/lookup-options.js';

/**
 * A table: a stream of upserts (and deletes) read as the rows of each key over event time, for
 * `stream.lookup(table, keyOf, fn)` to join with. Made by {@link table}; a value, so one table can
 * serve several lookups (each reads its own copy of the stream in its job).
 *
 * - A timestamped stream (`withTimestamps`) is a **versioned** table: each row is the version of
 *   its key from its time until the key's next version; a lookup at `t` sees the version valid at `t`.
 * - A stream without event time (an array, a file) is a **static** table: every row is valid from
 *   the beginning of time, the last row of a key wins, and it is read completely before any
 *   record joins.
 * @typeParam R the row type.
 * @typeParam TK the key type `keyOf` returns, which a lookup's `keyOf` must return too.
 * @example
 * const zones: Table<Zone, number> = table(from(fromJsonl<Zone>('zones.jsonl')), (z) => z.LocationID);
 * trips.lookup(zones, (t) => t.PULocationID, (t, zone) => ({ ...t, borough: zone.Borough }));
 * @see table, Stream.lookup
 */
export class Table<R, TK = unknown> {
  /** @internal */
  constructor(
    /** The stream of rows (a `Stream<R>`). */
    readonly rows: unknown,
    /** The key of a row. */
    readonly keyOf: (row: R) => TK,
    /** Whether the rows carry event time: a versioned table, or a static one. */
    readonly versioned: boolean,
    readonly options: Readonly<TableOptions<R>>,
  ) {}
}
