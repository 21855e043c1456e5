import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Sink } from '../core/sink.js';

export interface JsonlSinkOptions {
  /** Start with an empty file (default `false`: append, as a restarted job must). */
  truncate?: boolean;
  /** Renders one item (default `JSON.stringify`). */
  stringify?: (item: unknown) => string;
}

/**
 * Appends one JSON object per line. `flush()` fsyncs, so a completed checkpoint's results are on
 * disk. After a crash and restart, results between the last checkpoint and the crash are written
 * again: read the file idempotently, keeping the last line per `id` (see docs/concepts/delivery.md).
 * @example stream.to(toJsonl('out/gold.jsonl'))
 */
export function toJsonl<T = unknown>(path: string, options: JsonlSinkOptions = {}): Sink<T> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('toJsonl(path): path must be a file path');
  const stringify = options.stringify ?? JSON.stringify;
  let handle: FileHandle | undefined;
  let pending: string[] = [];
  let pendingBytes = 0;

  const writePending = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    await handle!.write(text);
  };

  return {
    name: `jsonl(${path})`,
    async open() {
      mkdirSync(dirname(path), { recursive: true });
      handle = await open(path, options.truncate ? 'w' : 'a');
    },
    async write(items: T[]) {
      for (const item of items) {
        const line = stringify(item) + '\n';
        pending.push(line);
        pendingBytes += line.length;
      }
      if (pendingBytes >= 1 << 20) await writePending();
    },
    async flush() {
      await writePending();
      await handle?.sync();
    },
    async close() {
      await writePending();
      await handle?.close();
      handle = undefined;
    },
  };
}
