import type { StateCell, StateCellSpec } from '../core/keyed-state.js';
import type { StateWriter } from '../core/operator.js';
import type { StatePart } from './state-part.js';

/**
 * One value of an operator (its watermark, what its state was written for), stored under one key
 * and written when it changed.
 * @example
 * const progress = state.cell({ key: '1/m', value: () => ({ watermark }), restore: (v) => (watermark = v.watermark) });
 * progress.changed();
 */
export class TrackedCell implements StateCell, StatePart {
  private tracking = false;
  private dirty = false;

  constructor(readonly spec: StateCellSpec) {}

  changed(): void {
    if (this.tracking) this.dirty = true;
  }

  /** True when the next incremental snapshot writes the cell. */
  get isDirty(): boolean {
    return this.dirty;
  }

  track(): void {
    this.tracking = true;
  }

  writeAll(writer: StateWriter): void {
    writer.put(this.spec.key, this.spec.value());
    this.dirty = false;
  }

  writeChanges(writer: StateWriter): void {
    if (this.dirty) writer.put(this.spec.key, this.spec.value());
    this.dirty = false;
  }

  restoreEntry(key: string, value: unknown, rewrite: boolean): boolean {
    this.spec.restore(value);
    if (rewrite) this.dirty = true;
    return key !== this.spec.key;
  }
}
