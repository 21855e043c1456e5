import { StateError } from '../core/errors.js';
import type { StateWriter } from '../core/operator.js';
import type { EncodedChanges } from '../core/state-writer.js';
import type { OperatorStateChanges } from '../core/state-backend.js';
import { serializeStateValue } from '../fast/serialize-state-value.js';

/**
 * A state value already encoded with `v8.serialize`. Backends store its bytes as they are, so a
 * value is encoded once, at the moment the operator hands it over.
 */
export class EncodedStateValue {
  constructor(readonly bytes: Buffer) {}
}

/**
 * Encodes a state value for `v8.deserialize`: the bytes of `v8.serialize` (see
 * {@link serializeStateValue}), unless it already is an {@link EncodedStateValue}.
 * @param value a structured-cloneable value.
 * @throws the serializer's error for values it cannot encode (functions, symbols).
 * @example deserialize(encodeStateValue({ sum: 1 })) // { sum: 1 }
 */
export function encodeStateValue(value: unknown): Buffer {
  return value instanceof EncodedStateValue ? value.bytes : serializeStateValue(value);
}

/**
 * The {@link StateWriter} the runtime hands to `snapshotState`: it encodes every value when it is
 * put, so the operator may go on mutating its live state (the next batch, while sinks flush)
 * without changing the checkpoint that is being written. A later put or delete of the same key
 * replaces an earlier one.
 * @param uid the operator's uid, named in errors.
 * @param full true when the operator writes its whole state (older entries are dropped).
 * @example
 * const writer = new StateChangeCollector('3-dedup', false);
 * operator.snapshotState?.(writer, false);
 * checkpoint.operators.set('3-dedup', writer.changes());
 */
export class StateChangeCollector implements StateWriter {
  private readonly puts = new Map<string, unknown>();
  private readonly deletes = new Set<string>();
  private readonly deletedPrefixes = new Set<string>();
  private readonly encoded: EncodedChanges[] = [];
  private encodedBytes = 0;

  constructor(
    readonly uid: string,
    readonly full: boolean,
  ) {}

  put(key: string, value: unknown): void {
    if (typeof key !== 'string') throw new TypeError(`state key of operator ${this.uid} must be a string, got ${typeof key}`);
    let bytes: Buffer;
    try {
      bytes = encodeStateValue(value);
    } catch (error) {
      throw new StateError(
        'STATE_CORRUPT',
        `operator ${this.uid} put a state value under ${JSON.stringify(key)} that cannot be serialized (functions, symbols and class prototypes are not stored)`,
        error,
      );
    }
    if (this.deletes.size > 0) this.deletes.delete(key);
    this.encodedBytes += bytes.length + key.length;
    this.puts.set(key, new EncodedStateValue(bytes));
  }

  delete(key: string): void {
    if (typeof key !== 'string') throw new TypeError(`state key of operator ${this.uid} must be a string, got ${typeof key}`);
    this.puts.delete(key);
    if (!this.full) this.deletes.add(key);
  }

  deletePrefix(prefix: string): void {
    if (typeof prefix !== 'string') throw new TypeError(`state key prefix of operator ${this.uid} must be a string, got ${typeof prefix}`);
    if (this.full) return;
    // Range deletes apply before the puts and deletes: one collected earlier under the prefix is moot.
    for (const key of this.puts.keys()) if (key.startsWith(prefix)) this.puts.delete(key);
    for (const key of this.deletes) if (key.startsWith(prefix)) this.deletes.delete(key);
    this.deletedPrefixes.add(prefix);
  }

  writeEncoded(changes: EncodedChanges): void {
    this.encoded.push(changes);
    this.encodedBytes += changes.bytes;
  }

  /** Number of puts, deletes and range deletes collected. */
  get size(): number {
    let size = this.puts.size + this.deletes.size + this.deletedPrefixes.size;
    for (const changes of this.encoded) size += changes.entries;
    return size;
  }

  /** Bytes encoded so far (values plus keys; a replaced put still counts): the checkpoint's size, give or take. */
  get bytes(): number {
    return this.encodedBytes;
  }

  /** The collected changes, ready for `CheckpointData.operators`. */
  changes(): OperatorStateChanges {
    const changes: OperatorStateChanges = { puts: this.puts, deletes: this.deletes, full: this.full };
    if (this.deletedPrefixes.size > 0) changes.deletedPrefixes = this.deletedPrefixes;
    if (this.encoded.length > 0) changes.encoded = this.encoded;
    return changes;
  }
}
