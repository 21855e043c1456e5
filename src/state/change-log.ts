import type { EncodedChanges } from '../core/state-writer.js';
import { V8WireWriter } from '../fast/v8-wire-writer.js';

/** Bytes per chunk: large enough that a checkpoint of a million changes is a few dozen buffers. */
const CHUNK_BYTES = 1 << 20;
/** Shared by every log: a snapshot is encoded synchronously, one value at a time. */
const wire = new V8WireWriter();
const PUT = 1;
const DELETE = 2;

/**
 * The changes of one resident operator's snapshot, encoded at the moment of the snapshot into a few
 * large buffers: `[kind u8][key length u32][key, UTF-8][value length u32][value, v8]` per change.
 * A map of a million keys to encoded values would hold a million strings and buffers in the heap
 * until the checkpoint is written; these chunks are one object each, their bytes outside the heap.
 * @example
 * const log = new ChangeLog();
 * log.put('g/3/trip-7', 1_700_000_000_000);
 * for (const change of log.changes()) batch.put(change.key, change.value);
 */
export class ChangeLog implements EncodedChanges {
  private readonly chunks: Buffer[] = [];
  private chunk: Buffer | undefined;
  private at = 0;
  /** Changes recorded. */
  entries = 0;
  /** Bytes of keys and values recorded. */
  bytes = 0;

  put(key: string, value: unknown): void {
    // Plain values are written into the writer's buffer, without a V8 serializer; the rest by one.
    this.append(PUT, key, wire.write(value));
  }

  delete(key: string): void {
    this.append(DELETE, key, undefined);
  }

  /** Every change, in the order recorded; `key` and `value` are views of the chunks. */
  *changes(): Generator<{ key: Buffer; value: Buffer | undefined }> {
    for (const [chunk, end] of this.filled()) {
      let at = 0;
      while (at < end) {
        const kind = chunk[at];
        const keyLength = chunk.readUInt32LE(at + 1);
        const key = chunk.subarray(at + 5, at + 5 + keyLength);
        at += 5 + keyLength;
        if (kind === DELETE) {
          yield { key, value: undefined };
          continue;
        }
        const valueLength = chunk.readUInt32LE(at);
        yield { key, value: chunk.subarray(at + 4, at + 4 + valueLength) };
        at += 4 + valueLength;
      }
    }
  }

  private *filled(): Generator<[Buffer, number]> {
    for (const chunk of this.chunks) yield [chunk, chunk.length];
    if (this.chunk) yield [this.chunk, this.at];
  }

  private append(kind: number, key: string, value: Buffer | undefined): void {
    const keyLength = Buffer.byteLength(key, 'utf8');
    const need = 1 + 4 + keyLength + (value ? 4 + value.length : 0);
    if (!this.chunk || this.at + need > this.chunk.length) {
      if (this.chunk) this.chunks.push(this.chunk.subarray(0, this.at));
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, need));
      this.at = 0;
    }
    const chunk = this.chunk;
    chunk[this.at] = kind;
    chunk.writeUInt32LE(keyLength, this.at + 1);
    chunk.write(key, this.at + 5, keyLength, 'utf8');
    this.at += 5 + keyLength;
    if (value) {
      chunk.writeUInt32LE(value.length, this.at);
      value.copy(chunk, this.at + 4);
      this.at += 4 + value.length;
    }
    this.entries++;
    this.bytes += keyLength + (value ? value.length : 0);
  }
}
