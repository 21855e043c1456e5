import type { CountTrigger, ProcessingTimeTrigger, Trigger } from './types.js';
import type { WindowState } from './window-state.js';

/**
 * What a trigger decides for a window after records were added to it (Flink's `TriggerResult`):
 * wait (`CONTINUE`), emit a pane now (`FIRE`), or emit one when a processing-time deadline passes
 * (`FIRE_LATER`: the window operator registers the deadline unless one is pending).
 */
export const TriggerResult = { CONTINUE: 0, FIRE: 1, FIRE_LATER: 2 } as const;
export type TriggerResult = (typeof TriggerResult)[keyof typeof TriggerResult];

/** The sub-trigger in force for a window in its current phase; `NOW`: fire at once; `WAIT`: until the watermark. */
type Phase = CountTrigger | ProcessingTimeTrigger | typeof NOW | typeof WAIT;
const NOW = 0;
const WAIT = 1;

/**
 * Trigger behaviour: interprets a {@link Trigger} value for the window operator. The operator asks
 * it what to do after records were added to a window ({@link TriggerPolicy.onAdd}); on-time panes
 * (when the watermark reaches a window's end), late panes and processing-time deadlines follow
 * from the phase a window is in:
 *
 * - `onWatermark({ early, late })`: before the watermark reaches `end - 1`, `early` decides (no
 *   early panes without it); the watermark then fires the on-time pane; after that, `late` decides
 *   (absent: one late pane per late record).
 * - `afterCount(n)`, `afterProcessingTime(d)`: decide in every phase.
 * @example
 * const policy = new TriggerPolicy(onWatermark({ early: afterCount(100) }));
 * if (policy.onAdd(ws, watermark) === TriggerResult.FIRE) fire(ws);
 */
export class TriggerPolicy {
  /** The watermark fires windows' on-time panes: register an on-time timer per window. */
  readonly firesOnWatermark: boolean;
  /** Some phase waits for processing time: the operator needs ticks, and restored panes restart their wait. */
  readonly usesProcessingTime: boolean;
  /**
   * Every window has emitted all it holds by the time it expires, and no processing-time timer
   * refers to it: the watermark trigger without a late policy fires late records at once. An
   * expiring window then needs no visit unless its state must be deleted from a checkpoint.
   */
  readonly expiresEmpty: boolean;

  /** The sub-trigger before the watermark reaches a window's end, at its end (first pane), and after its on-time pane. */
  private readonly before: Phase;
  private readonly atEnd: Phase;
  private readonly after: Phase;

  constructor(readonly trigger: Trigger) {
    this.firesOnWatermark = trigger.kind === 'watermark';
    this.usesProcessingTime =
      trigger.kind === 'processing-time' ||
      (trigger.kind === 'watermark' && (trigger.early?.kind === 'processing-time' || trigger.late?.kind === 'processing-time'));
    this.expiresEmpty = trigger.kind === 'watermark' && trigger.late === undefined && !this.usesProcessingTime;
    if (trigger.kind === 'watermark') {
      this.before = trigger.early ?? WAIT;
      // Past the end: the first pane is the on-time one (at once); later ones follow `late`.
      this.atEnd = NOW;
      this.after = trigger.late ?? NOW;
    } else {
      this.before = this.atEnd = this.after = trigger;
    }
  }

  /** After records were added to `ws` at watermark `wm`: fire now, later, or wait. */
  onAdd(ws: WindowState, wm: number): TriggerResult {
    const phase = this.phase(ws, wm);
    if (phase === WAIT) return TriggerResult.CONTINUE;
    if (phase === NOW) return TriggerResult.FIRE;
    if (phase.kind === 'count') return ws.pending >= phase.count ? TriggerResult.FIRE : TriggerResult.CONTINUE;
    return ws.deadline === undefined ? TriggerResult.FIRE_LATER : TriggerResult.CONTINUE;
  }

  /** The processing-time interval the window's pending pane waits for now, if any. */
  processingInterval(ws: WindowState, wm: number): number | undefined {
    const phase = this.phase(ws, wm);
    return phase !== NOW && phase !== WAIT && phase.kind === 'processing-time' ? phase.interval : undefined;
  }

  private phase(ws: WindowState, wm: number): Phase {
    return wm < ws.end - 1 ? this.before : ws.onTimeDone ? this.after : this.atEnd;
  }
}
