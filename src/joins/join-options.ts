import { parseDuration, type Duration } from '../core/duration.js';
import { checkOptions } from '../core/options.js';

/** Which records of an interval join are emitted without a partner: none, the left side's, or both sides'. */
export type JoinKind = 'inner' | 'left' | 'outer';

/** Options of `left.join(right, options, fn)`. */
export interface JoinOptions {
  /**
   * How far apart two records may be to join: a duration `d` (the same as `{ before: d, after: d }`),
   * or `{ before, after }`: a left record at `tl` joins right records at `tr` with
   * `tl - before <= tr <= tl + after`.
   */
  within: Duration | { before: Duration; after: Duration };
  /** `'inner'` (default): pairs only; `'left'`: also each left record that found no partner, with `null`; `'outer'`: both sides'. */
  kind?: JoinKind;
  /** How long after its bound closed a record is still accepted (default 0): records later than that are late. */
  allowedLateness?: Duration;
}

/** Validated join options in milliseconds: what the join's state means. */
export interface JoinSpec {
  readonly before: number;
  readonly after: number;
  readonly kind: JoinKind;
  readonly allowedLateness: number;
}

const KINDS: readonly JoinKind[] = ['inner', 'left', 'outer'];

/**
 * Checks join options and applies defaults.
 * @param options what the user passed to `join`.
 * @throws TypeError or RangeError naming the bad option.
 * @example joinSpecOf({ within: '10m', kind: 'left' }) // { before: 600000, after: 600000, kind: 'left', allowedLateness: 0 }
 */
export function joinSpecOf(options: JoinOptions): JoinSpec {
  if (options === null || typeof options !== 'object') {
    throw new TypeError("join(right, options, fn): options must be an object such as { within: '10m' }");
  }
  checkOptions('join', options, ['within', 'kind', 'allowedLateness']);
  const { within } = options;
  if (within === undefined) throw new TypeError("join: within is required, a duration ('10m') or { before, after }");
  let before: number;
  let after: number;
  if (within !== null && typeof within === 'object') {
    checkOptions('join within', within, ['before', 'after']);
    before = parseDuration(within.before, 'join within.before');
    after = parseDuration(within.after, 'join within.after');
  } else {
    before = after = parseDuration(within, 'join within');
  }
  const kind = options.kind ?? 'inner';
  if (!KINDS.includes(kind)) throw new TypeError(`join kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const allowedLateness = options.allowedLateness === undefined ? 0 : parseDuration(options.allowedLateness, 'join allowedLateness');
  if (!Number.isSafeInteger(before + after + allowedLateness)) {
    throw new RangeError('join: within and allowedLateness together must stay below 2^53 ms');
  }
  return Object.freeze({ before, after, kind, allowedLateness });
}
