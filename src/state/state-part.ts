import type { StateWriter } from '../core/operator.js';

/**
 * What the keyed-state service asks of each of its tables and cells: the one protocol by which
 * "what changed since the last snapshot" is recorded, written and restored.
 */
export interface StatePart {
  /** Starts a snapshot period: changes are recorded from now on, marked with `epoch`. */
  track(epoch: number): void;
  /** Writes every live entry (a full snapshot, or the first one). */
  writeAll(writer: StateWriter): void;
  /** Writes the entries changed or removed since the previous snapshot. */
  writeChanges(writer: StateWriter): void;
  /**
   * Applies one restored entry.
   * @param rewrite the entry was read from an older layout: record it as changed, so the next
   *   snapshot writes it under its current key.
   * @returns true when the entry is now stored under another key than `key`, which the next snapshot must delete.
   */
  restoreEntry(key: string, value: unknown, rewrite: boolean): boolean;
}
