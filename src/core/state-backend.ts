import type { SourcePosition } from './source.js';

/** The changes one operator made since its previous snapshot (everything, on a full snapshot). */
export interface OperatorStateChanges {
  puts: Map<string, unknown>;
  deletes: Set<string>;
  /** True when `puts` is the operator's whole state and older entries must be dropped. */
  full: boolean;
}

/** What a completed checkpoint holds: its id, the source position as of the barrier, operator state. */
export interface CheckpointData {
  id: number;
  sourcePosition: SourcePosition;
  /** Changes per operator uid (see `OperatorContext.uid`). */
  operators: Map<string, OperatorStateChanges>;
}

/** The last complete checkpoint, as loaded at start. */
export interface RestoredCheckpoint {
  id: number;
  sourcePosition: SourcePosition;
  /** The whole state per operator uid, in key order. */
  operators: Map<string, Iterable<[string, unknown]>>;
}

/**
 * Where checkpoints live. `write` is atomic: after a crash either the whole checkpoint (state of
 * every operator and the source position) is there, or none of it.
 */
export interface StateBackend {
  readonly name: string;
  /** Opens the store and returns the last complete checkpoint, if any. */
  open(): Promise<RestoredCheckpoint | undefined>;
  write(checkpoint: CheckpointData): Promise<void>;
  close(): Promise<void>;
}
