import type { StateFingerprint } from './operator.js';
import type { Metrics } from './metrics.js';
import type { ResidentState } from './resident-state.js';
import type { EncodedChanges } from './state-writer.js';
import type { SourcePosition } from './source.js';

/** The changes one operator made since its previous snapshot (everything, on a full snapshot). */
export interface OperatorStateChanges {
  puts: Map<string, unknown>;
  deletes: Set<string>;
  /** True when `puts` is the operator's whole state and older entries must be dropped. */
  full: boolean;
  /** What the operator's state means; the backend records it with the checkpoint for the next restore to check. */
  fingerprint?: StateFingerprint;
  /**
   * True for an operator that is no longer in the pipeline, whose state a restore was told to drop
   * (`run({ restore: { allowDroppedState } })`): the backend removes all of it with this checkpoint.
   */
  dropped?: boolean;
  /**
   * Prefixes whose keys are all deleted, before `deletes` and `puts` (a resident operator's range
   * deletes, see {@link ResidentState.deletePrefix}).
   */
  deletedPrefixes?: Set<string>;
  /**
   * True when the operator keeps its keyed state in the backend's store ({@link ResidentState}):
   * its changes are always incremental, and a restore does not load its entries.
   */
  resident?: boolean;
  /** Changes encoded in bulk, applied after `deletes` and `puts` (a resident operator's snapshot). */
  encoded?: EncodedChanges[];
}

/** What a completed checkpoint holds: its id, the source position as of the barrier, operator state. */
export interface CheckpointData {
  id: number;
  sourcePosition: SourcePosition;
  /** Changes per operator uid (see `OperatorContext.uid`). */
  operators: Map<string, OperatorStateChanges>;
  /**
   * True when an operator was in the middle of a watermark (between two of its steps): its restore
   * finishes that watermark first. A backend records it so that a reader that cannot finish it
   * refuses the checkpoint.
   */
  unfinishedWatermark?: boolean;
}

/** The last complete checkpoint, as loaded at start. */
export interface RestoredCheckpoint {
  id: number;
  sourcePosition: SourcePosition;
  /** The whole state per operator uid, in key order. */
  operators: Map<string, Iterable<[string, unknown]>>;
  /**
   * What each operator's state means, per uid, as the checkpoint recorded it. `undefined` for a
   * checkpoint written before fingerprints existed (state format 1), whose uids are the operators'
   * positions in the pipeline (`3-window`).
   */
  fingerprints?: Map<string, StateFingerprint>;
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
  /**
   * The store of operator `uid`'s keyed state when this backend keeps state on disk
   * (`levelState(dir, { memory })`); absent or `undefined` when state lives in the heap. Called
   * after `open`, once per operator.
   */
  residentState?(uid: string): ResidentState | undefined;
  /**
   * Joins the running job, once, after `open`: `requestCheckpoint` takes a checkpoint at the next
   * batch boundary (a backend with resident state calls it when the changes held in memory fill
   * their share of the budget), and `metrics` is where the backend records its own metrics.
   */
  attach?(job: { requestCheckpoint: () => void; metrics: Metrics }): void;
}
