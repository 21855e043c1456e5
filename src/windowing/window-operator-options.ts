import { parseDuration } from '../core/duration.js';
import { isAggregator } from './aggregators/is-aggregator.js';
import { validateTrigger } from './triggers.js';
import type { AccumulationMode, Aggregator, AlignedAssigner, Trigger, WindowAssigner, WindowOptions } from './types.js';

/** Options of `windowOperator`: the assigner plus the `.window(assigner, options)` options. */
export interface WindowOperatorOptions extends WindowOptions {
  assigner: WindowAssigner;
}

/** A window operator's configuration, checked and with its defaults filled in. */
export interface WindowConfig {
  readonly assigner: WindowAssigner;
  readonly trigger: Trigger;
  /** `allowedLateness` in ms. */
  readonly lateness: number;
  readonly mode: AccumulationMode;
}

const OPTION_NAMES = new Set(['assigner', 'trigger', 'allowedLateness', 'mode']);
const MODES: readonly AccumulationMode[] = ['accumulating', 'discarding', 'retracting'];
const LAYOUTS: ReadonlySet<unknown> = new Set(['aligned', 'merging', 'sliding']);

/**
 * Checks the options and aggregator of a window operator at the call site, as `.window(…)` and
 * `.aggregate(…)` are written, and fills in the defaults: trigger `onWatermark()`, `allowedLateness`
 * 0, mode `'accumulating'`.
 * @throws TypeError / RangeError naming the option and the rule, e.g. `global()` with the
 *   watermark trigger, an unknown option, a mode that is not one, a session gap that is not a
 *   positive integer.
 * @example checkWindowOptions({ assigner: tumbling('5m'), allowedLateness: '10m' }, count())
 */
export function checkWindowOptions(options: WindowOperatorOptions, aggregator: Aggregator): WindowConfig {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      `windowOperator options must be an object like { assigner, trigger, allowedLateness, mode }, got ${String(options)}`,
    );
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw new TypeError(`window: unknown option '${name}'; the options are trigger, allowedLateness and mode`);
  }
  const assigner = options.assigner;
  if (
    !assigner ||
    typeof assigner.assignWindows !== 'function' ||
    typeof assigner.kind !== 'string' ||
    !LAYOUTS.has(assigner.layout) ||
    (assigner.layout === 'aligned' && typeof (assigner as AlignedAssigner).windowRun !== 'function')
  ) {
    throw new TypeError(
      'window: assigner must be a window assigner such as tumbling(size), hopping(size, hop), sliding(size), session(gap) or global()',
    );
  }
  if (!isAggregator(aggregator)) {
    throw new TypeError('window: aggregator must have create(), add(acc, x), merge(a, b) and result(acc) functions');
  }
  const trigger = options.trigger === undefined ? ({ kind: 'watermark' } as const) : validateTrigger(options.trigger);
  if (!assigner.closesOnWatermark && trigger.kind === 'watermark') {
    throw new TypeError(
      `window: ${assigner.description} windows never reach the end of event time before the end of input, so the watermark trigger would fire them only once at the end; pass trigger: afterCount(n) or afterProcessingTime(d)`,
    );
  }
  const mode = options.mode ?? 'accumulating';
  if (!MODES.includes(mode))
    throw new TypeError(`window: mode must be 'accumulating', 'discarding' or 'retracting', got ${JSON.stringify(mode)}`);
  const lateness = options.allowedLateness === undefined ? 0 : parseDuration(options.allowedLateness, 'allowedLateness');
  if (assigner.layout !== 'aligned' && (!Number.isSafeInteger(assigner.size) || assigner.size < 1)) {
    throw new RangeError(`window: ${assigner.description} must have a positive integer size in ms, got ${assigner.size}`);
  }
  return { assigner, trigger, lateness, mode };
}
