import { deserialize, serialize } from 'node:v8';
import { StateError } from '../core/errors.js';
import type { StateFingerprint } from '../core/operator.js';
import type { CheckpointData, RestoredCheckpoint, StateBackend } from '../core/state-backend.js';
import { EncodedStateValue, encodeStateValue } from './state-change-collector.js';
import { assertUid, compareUtf8 } from './state-key.js';

interface StoredCheckpoint {
  id: number;
  sourcePosition: Buffer;
  operators: Map<string, Map<string, Buffer>>;
  /** What each operator's state means, as the pipeline that wrote it described it. */
  fingerprints: Map<string, StateFingerprint>;
}

/**
 * A state backend that keeps the last complete checkpoint in memory, in this object. It outlives
 * the runtimes that use it: a second runtime given the same `memoryState()` restores what the
 * first checkpointed (state survives a pipeline restart inside one process, not a process crash).
 *
 * Values are stored `v8.serialize`d, exactly as {@link levelState} stores them, so an operator
 * restored from memory gets fresh copies (never the live objects it checkpointed) and a value that
 * LevelDB could not hold fails here too.
 */
export class MemoryStateBackend implements StateBackend {
  readonly name = 'memory';
  private stored: StoredCheckpoint | undefined;

  /** The id of the last complete checkpoint, or `undefined` before the first. */
  get lastCheckpointId(): number | undefined {
    return this.stored?.id;
  }

  async open(): Promise<RestoredCheckpoint | undefined> {
    const stored = this.stored;
    if (!stored) return undefined;
    const operators = new Map<string, Iterable<[string, unknown]>>();
    for (const [uid, entries] of stored.operators) {
      // LevelDB's order (UTF-8 bytes), so both backends restore entries in the same order.
      const keys = [...entries.keys()].sort(compareUtf8);
      operators.set(
        uid,
        keys.map((k): [string, unknown] => [k, deserialize(entries.get(k)!)]),
      );
    }
    return { id: stored.id, sourcePosition: deserialize(stored.sourcePosition), operators, fingerprints: new Map(stored.fingerprints) };
  }

  async write(checkpoint: CheckpointData): Promise<void> {
    // Encode everything before touching the stored checkpoint: a value that cannot be serialized
    // leaves the previous checkpoint exactly as it was (the atomicity LevelDB's batch gives).
    let sourcePosition: Buffer;
    const encoded: Array<{
      uid: string;
      full: boolean;
      dropped: boolean;
      fingerprint?: StateFingerprint;
      puts: Iterable<[string, unknown]>;
      deletes: Iterable<string>;
    }> = [];
    try {
      sourcePosition = serialize(checkpoint.sourcePosition);
      for (const [uid, changes] of checkpoint.operators) {
        assertUid(uid);
        let puts: Iterable<[string, unknown]> = changes.puts;
        // Values from the runtime's collector are already encoded and cannot fail; others are
        // encoded here, before anything is applied.
        for (const value of changes.puts.values()) {
          if (!(value instanceof EncodedStateValue)) {
            const copy: Array<[string, Buffer]> = [];
            for (const [key, v] of changes.puts) copy.push([key, encodeStateValue(v)]);
            puts = copy;
            break;
          }
        }
        encoded.push({
          uid,
          full: changes.full,
          dropped: changes.dropped === true,
          fingerprint: changes.fingerprint,
          puts,
          deletes: changes.deletes,
        });
      }
    } catch (error) {
      if (error instanceof TypeError) throw error;
      throw new StateError(
        'STATE_CORRUPT',
        `memoryState: checkpoint ${checkpoint.id} holds a value that cannot be serialized; the previous checkpoint is kept`,
        error,
      );
    }
    const operators = this.stored?.operators ?? new Map<string, Map<string, Buffer>>();
    const fingerprints = this.stored?.fingerprints ?? new Map<string, StateFingerprint>();
    for (const { uid, full, dropped, fingerprint, puts, deletes } of encoded) {
      if (dropped) {
        operators.delete(uid);
        fingerprints.delete(uid);
        continue;
      }
      if (fingerprint) fingerprints.set(uid, fingerprint);
      let entries = operators.get(uid);
      if (!entries || full) {
        entries = new Map();
        operators.set(uid, entries);
      }
      // Deletes before puts: a key in both ends up put, as in the LevelDB backend.
      if (!full) for (const key of deletes) entries.delete(key);
      for (const [key, value] of puts) entries.set(key, value instanceof EncodedStateValue ? value.bytes : (value as Buffer));
    }
    this.stored = { id: checkpoint.id, sourcePosition, operators, fingerprints };
  }

  async close(): Promise<void> {}
}

/**
 * The default state backend: checkpoints kept in memory, in the returned object.
 * @returns a backend to pass as `run({ state })`; give the same object to a later run to restore.
 * @example
 * const state = memoryState();
 * await job.run({ state, checkpointEvery: '5s' });
 * @see levelState for checkpoints that survive a crash.
 */
export function memoryState(): MemoryStateBackend {
  return new MemoryStateBackend();
}
