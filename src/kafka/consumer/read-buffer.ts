import type { Batch } from '../../core/batch.js';
import type { KafkaDeadLetter } from './kafka-dead-letter.js';

/** Records of one partition, read from Kafka and waiting to be polled. */
export interface Chunk<T> {
  topic: string;
  partition: number;
  /** Offset after the last message this chunk covers (records and dead letters). */
  next: number;
  batch: Batch<T>;
  dead: KafkaDeadLetter[];
}

/**
 * The records a Kafka source has read ahead of the pipeline, in arrival order, and when reading
 * must pause and may resume: pause once `maxBuffered` records are held, resume once the pipeline
 * has taken them down to half of that. Memory ahead of the pipeline therefore stays at about
 * `maxBuffered` records plus one fetch, whatever the topic's backlog.
 */
export class ReadBuffer<T> {
  private readonly chunks: Chunk<T>[] = [];
  private count = 0;
  private paused = false;

  /** @param maxBuffered - records held before reading pauses */
  constructor(readonly maxBuffered: number) {}

  /** Records held (dead letters are not counted: they hold no pipeline memory worth bounding). */
  get records(): number {
    return this.count;
  }

  /** Whether reading is paused because the buffer filled. */
  get isPaused(): boolean {
    return this.paused;
  }

  push(chunk: Chunk<T>): void {
    this.chunks.push(chunk);
    this.count += chunk.batch.values.length;
  }

  /** The oldest chunk, taken out; reading may resume after it (see {@link shouldResume}). */
  shift(): Chunk<T> | undefined {
    const chunk = this.chunks.shift();
    if (chunk) this.count -= chunk.batch.values.length;
    return chunk;
  }

  /** Drops every chunk of the given partitions (`"topic\0partition"` keys), as when they are revoked. */
  dropPartitions(lost: ReadonlySet<string>): void {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const c = this.chunks[i];
      if (!lost.has(partitionKey(c.topic, c.partition))) continue;
      this.count -= c.batch.values.length;
      this.chunks.splice(i, 1);
    }
  }

  /** True once, when the buffer has just filled: the caller pauses reading. */
  shouldPause(): boolean {
    if (this.paused || this.count < this.maxBuffered) return false;
    this.paused = true;
    return true;
  }

  /** True once, when a paused buffer has drained to half: the caller resumes reading. */
  shouldResume(): boolean {
    if (!this.paused || this.count > this.maxBuffered / 2) return false;
    this.paused = false;
    return true;
  }
}

/** The key of a topic partition in sets of partitions. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
