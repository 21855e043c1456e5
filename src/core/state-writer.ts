/**
 * A resident operator's changes of one snapshot, already encoded (keys UTF-8, values v8), in the
 * order they apply; a `value` of `undefined` deletes the key.
 */
export interface EncodedChanges {
  readonly entries: number;
  readonly bytes: number;
  changes(): Iterable<{ key: Uint8Array; value: Uint8Array | undefined }>;
}

/** Writes an operator's state into a checkpoint. Values must be structured-cloneable (v8 serialize). */
export interface StateWriter {
  put(key: string, value: unknown): void;
  delete(key: string): void;
  /**
   * Deletes every stored key that starts with `prefix` (a resident operator's range delete, see
   * `ResidentState.deletePrefix`); applied before this checkpoint's puts.
   */
  deletePrefix?(prefix: string): void;
  /** Adds changes encoded in bulk (a resident operator's snapshot), after this writer's puts and deletes. */
  writeEncoded?(changes: EncodedChanges): void;
}
