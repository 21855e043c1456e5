import type { StateFingerprint } from '../core/operator.js';
import type { JoinSpec } from '../joins/join-options.js';
import type { LookupSpec } from '../joins/lookup-options.js';
import { aggregatorIdentity } from '../windowing/aggregators/index.js';
import type { Aggregator, WindowAssigner, WindowOptions } from '../windowing/types.js';

/**
 * The fingerprint of a window operator's state: what its stored windows and accumulators mean.
 *
 * - `assigner` (kind, size, hop, offset, time zone): stored windows are that assigner's windows.
 * - `keyed`: whether a `keyBy` came first; unkeyed state holds one key, `null`.
 * - `aggregate`: the aggregator's identity (`count@1`, `{"n":count@1,"total":sum@1}`), the layout of
 *   every stored accumulator.
 * - `mode`: accumulating state holds everything so far, discarding state only what came since the
 *   last pane, retracting state also the last pane to retract: the same bytes mean different things.
 *
 * Not part of it, and free to change between a checkpoint and a restore (Flink's rule: what only
 * decides when to emit or how long to keep state, not what the state holds):
 * - `allowedLateness`: only how long a window's state is kept. A window that expired under the old
 *   lateness is gone; a window still held expires by the new one.
 * - `trigger`: only when a pane fires. Stored state counts the records since the last pane and the
 *   panes emitted, whatever the trigger; a window fires what is pending at the latest when it expires.
 * @param assigner the window assigner.
 * @param options `.window(assigner, options)`.
 * @param aggregator the aggregator, named parts combined.
 * @param keyed whether the stream is keyed.
 * @example windowFingerprint(tumbling('5m'), {}, count(), true)
 */
export function windowFingerprint(
  assigner: WindowAssigner,
  options: WindowOptions,
  aggregator: Aggregator,
  keyed: boolean,
): StateFingerprint {
  return {
    operator: 'window',
    assigner: assigner.description,
    keyed: keyed ? 'yes' : 'no',
    aggregate: aggregatorIdentity(aggregator),
    mode: options.mode ?? 'accumulating',
  };
}

/**
 * The fingerprint of a `dedup` operator's state: its horizon `within`. Seen ids expire by it, so
 * state kept under a shorter horizon lacks ids a longer one must still remember.
 * @param withinMs `within` in milliseconds.
 * @example dedupFingerprint(3_600_000) // { operator: 'dedup', within: '3600000ms' }
 */
export function dedupFingerprint(withinMs: number): StateFingerprint {
  return { operator: 'dedup', within: `${withinMs}ms` };
}

/**
 * The fingerprint of an interval join's state: its bounds, kind and lateness.
 *
 * - `before`, `after`: which records are buffered and for how long; records evicted under narrower
 *   bounds are missing for wider ones, and the stored matched flags were set under the old bounds.
 * - `kind`: whether unmatched records are emitted on eviction; the flags stored with each record
 *   decide it, so state of an inner join restored as a left or outer one would emit wrong nulls.
 * - `allowedLateness`: part of how long records are held (`before + after + allowedLateness`);
 *   state kept under a shorter hold lacks records a longer one must still join, as dedup's horizon.
 * @param spec the validated join options.
 * @example joinFingerprint({ before: 600000, after: 600000, kind: 'inner', allowedLateness: 0 })
 */
export function joinFingerprint(spec: JoinSpec): StateFingerprint {
  return {
    operator: 'join',
    before: `${spec.before}ms`,
    after: `${spec.after}ms`,
    kind: spec.kind,
    allowedLateness: `${spec.allowedLateness}ms`,
  };
}

/**
 * Checks a `.uid(name)` where it is written.
 * @param name the operator id.
 * @throws TypeError unless `name` is a string of 1 to 200 characters without control characters.
 * @example checkOperatorUid('zone-5m')
 */
export function checkOperatorUid(name: unknown): asserts name is string {
  // eslint-disable-next-line no-control-regex -- control characters are what the rule excludes
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || /[\x00-\x1f\x7f]/.test(name)) {
    throw new TypeError(`uid(name): name must be a string of 1 to 200 characters without control characters, got ${JSON.stringify(name)}`);
  }
}

/**
 * The fingerprint of a lookup join's state: its kind, lateness and kind of table.
 *
 * - `kind`: whether records without a row are emitted with `null`; held records were taken in
 *   under one kind and would be answered under another.
 * - `allowedLateness`: how long table versions are kept; versions dropped under a shorter lateness
 *   are missing for a longer one, as dedup's horizon.
 * - `table`: `versioned` versions have their rows' times, `static` ones the beginning of time.
 * @param spec the validated lookup options.
 * @example lookupFingerprint({ kind: 'left', allowedLateness: 0, table: 'static' })
 */
export function lookupFingerprint(spec: LookupSpec): StateFingerprint {
  return { operator: 'lookup', kind: spec.kind, allowedLateness: `${spec.allowedLateness}ms`, table: spec.table };
}
