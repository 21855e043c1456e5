/** Writes an operator's state into a checkpoint. Values must be structured-cloneable (v8 serialize). */
export interface StateWriter {
  put(key: string, value: unknown): void;
  delete(key: string): void;
  /**
   * Deletes every stored key that starts with `prefix` (a resident operator's range delete, see
   * `ResidentState.deletePrefix`); applied before this checkpoint's puts.
   */
  deletePrefix?(prefix: string): void;
}
