import type { Batch } from '../../core/batch.js';
import type { KafkaDeadLetter } from './kafka-dead-letter.js';
import type { Chunk } from './read-buffer.js';

/**
 * When a Kafka source ends its input, which is otherwise unbounded: after `maxRecords` records, or
 * once no message arrived for `stopWhenIdle` after the consumer joined its group. Windows then fire
 * as at the end of a file.
 */
export class StopConditions {
  private emitted = 0;
  private ended = false;
  private openedAt = 0;
  private joinedAt?: number;
  private lastMessageAt = 0;

  /**
   * @param maxRecords - records after which the input ends
   * @param stopWhenIdleMs - processing time without a message after which the input ends
   * @param joinGraceMs - how long the group join itself may take before idleness counts (the session timeout)
   */
  constructor(
    private readonly maxRecords: number | undefined,
    private readonly stopWhenIdleMs: number | undefined,
    private readonly joinGraceMs: number,
  ) {}

  /** Whether the input has ended. */
  get hasEnded(): boolean {
    return this.ended;
  }

  opened(now: number): void {
    this.openedAt = now;
  }

  joined(now: number): void {
    this.joinedAt = now;
  }

  messagesArrived(now: number): void {
    this.lastMessageAt = now;
  }

  /**
   * The part of `chunk` to hand on: all of it, or, at `maxRecords`, the records up to it, with the
   * dead letters before the cut and the offset after the last record kept, so the position (and a
   * checkpoint) covers only what was handed on.
   */
  take<T>(chunk: Chunk<T>): { batch: Batch<T>; dead: KafkaDeadLetter[]; next: number } {
    let { batch, dead, next } = chunk;
    if (this.maxRecords !== undefined) {
      const room = this.maxRecords - this.emitted;
      if (batch.values.length >= room) {
        this.ended = true;
        if (batch.values.length > room) {
          next = batch.positions[room - 1] + 1;
          batch = { values: batch.values.slice(0, room), positions: batch.positions.slice(0, room), partition: batch.partition };
          dead = dead.filter((d) => (d.position?.offset ?? 0) < next);
        }
      }
    }
    this.emitted += batch.values.length;
    return { batch, dead, next };
  }

  /** Ends the input if it has been idle for `stopWhenIdle`; true when it has ended so. */
  endIfIdle(now: number): boolean {
    if (this.stopWhenIdleMs === undefined) return false;
    // Before the group is joined nothing can arrive; allow a session timeout for the join itself.
    const since = this.joinedAt === undefined ? this.openedAt + this.joinGraceMs : Math.max(this.joinedAt, this.lastMessageAt);
    if (now - since < this.stopWhenIdleMs) return false;
    this.ended = true;
    return true;
  }
}
