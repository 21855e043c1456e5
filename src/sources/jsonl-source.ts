import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Batch } from '../core/batch.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { describeError, StreamkitError } from '../core/errors.js';
import type { Source, SourceContext, SourcePoll } from '../core/source.js';

export interface JsonlSourceOptions {
  /** Parses one line (default `JSON.parse`); a throw sends the line to dead letters. */
  parse?: (line: string) => unknown;
  batchSize?: number;
}

/**
 * A bounded source over a JSON Lines file. Its position is the byte offset after the last line
 * returned, so a restored job continues from there. Lines that do not parse become dead letters
 * with the reason, the raw text and the byte offset.
 * @example from(fromJsonl<Trip>('trips.jsonl'))
 */
export function fromJsonl<T = unknown>(path: string, options: JsonlSourceOptions = {}): Source<T> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('fromJsonl(path): path must be a file path');
  const parse = options.parse ?? JSON.parse;
  let offset = 0;
  let batchSize = options.batchSize ?? 1024;
  let chunks: AsyncIterator<Buffer> | undefined;
  let carry: Buffer = Buffer.alloc(0);
  /** Lines read ahead, from `head` on; `end` is the byte offset after the line's newline. */
  let lines: Array<{ text: string; at: number; end: number }> = [];
  let head = 0;
  let lineStart = 0;
  let eof = false;
  let stream: ReturnType<typeof createReadStream> | undefined;

  const take = (): SourcePoll<T> => {
    const until = Math.min(lines.length, head + batchSize);
    if (until === head) return { kind: 'end' };
    const values: T[] = [];
    const positions: number[] = [];
    const deadLetters: DeadLetter[] = [];
    for (let i = head; i < until; i++) {
      const line = lines[i];
      if (line.text.trim().length === 0) continue;
      try {
        values.push(parse(line.text) as T);
        positions.push(line.at);
      } catch (error) {
        deadLetters.push({
          reason: `unparseable line: ${describeError(error)}`,
          raw: line.text,
          position: { partition: 0, offset: line.at },
          operator: 'source',
        });
      }
    }
    offset = lines[until - 1].end;
    head = until;
    const batch: Batch<T> = { values, positions, partition: 0 };
    return { kind: 'batch', batch, deadLetters };
  };

  const fill = async () => {
    if (head > 0) {
      lines = lines.slice(head);
      head = 0;
    }
    while (lines.length < batchSize && !eof) {
      const r = await chunks!.next();
      if (r.done) {
        eof = true;
        if (carry.length > 0) lines.push({ text: carry.toString('utf8'), at: lineStart, end: lineStart + carry.length });
        lineStart += carry.length;
        carry = Buffer.alloc(0);
        break;
      }
      const data = carry.length > 0 ? Buffer.concat([carry, r.value]) : r.value;
      let from = 0;
      for (;;) {
        const nl = data.indexOf(10, from);
        if (nl < 0) break;
        lines.push({ text: data.toString('utf8', from, nl), at: lineStart, end: lineStart + nl + 1 - from });
        lineStart += nl + 1 - from;
        from = nl + 1;
      }
      carry = data.subarray(from);
    }
  };

  return {
    name: `jsonl(${path})`,
    partitions: () => [0],
    async open(ctx: SourceContext) {
      batchSize = options.batchSize ?? ctx.batchSize;
      offset = typeof ctx.restoreFrom === 'number' ? ctx.restoreFrom : 0;
      // Fail fast, naming the path, if the file cannot be read.
      try {
        await (await open(path, 'r')).close();
      } catch (error) {
        throw new StreamkitError('SOURCE_FAILED', `fromJsonl: cannot read ${path}: ${describeError(error)}`, { cause: error });
      }
      lineStart = offset;
      stream = createReadStream(path, { start: offset, highWaterMark: 1 << 20 });
      chunks = stream[Symbol.asyncIterator]();
    },
    poll(): SourcePoll<T> | Promise<SourcePoll<T>> {
      // Answer synchronously while a whole batch is buffered; read more only when it is not.
      if (lines.length - head >= batchSize || eof) return take();
      return fill().then(take);
    },
    position: () => offset,
    close() {
      stream?.destroy();
    },
  };
}
