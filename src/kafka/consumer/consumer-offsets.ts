import { StreamkitError } from '../../core/errors.js';

/**
 * The resumable position of a Kafka source: for each topic and partition, the offset of the next
 * record to read. Keyed by topic name, so reordering `topics` does not invalidate a checkpoint.
 */
export type KafkaPosition = Record<string, Record<string, number>>;

/**
 * The offset bookkeeping of a Kafka source (kafkajs' offset manager, for a source whose offsets
 * only a checkpoint commits). Per topic and partition it keeps:
 *
 * - **handed**: the next offset after the last record handed to the pipeline: the source's position,
 *   what a checkpoint records and later commits;
 * - **fetched**: the next offset after the last record put in the read buffer; a fetch skips what is
 *   below it (already buffered, handed on, or covered by the restored checkpoint);
 * - **restored seeks**: positions of a restored checkpoint not yet applied: each partition is sought
 *   there when it is first assigned, whatever the group committed;
 * - **resume points**: after a consumer was replaced, where its first assignment resumes each
 *   partition (what was handed on).
 *
 * Invariant: for a partition this instance reads, `handed <= fetched`.
 */
export class ConsumerOffsets {
  private readonly handed = new OffsetTable();
  private readonly fetched = new OffsetTable();
  private readonly restoredSeeks = new OffsetTable();
  private resumePoints?: OffsetTable;

  /**
   * Starts from a checkpoint's position.
   * @throws StreamkitError `STATE_INCOMPATIBLE` when `position` is not a Kafka position
   */
  restore(position: unknown): void {
    if (position === undefined || position === null) return;
    if (typeof position !== 'object') {
      throw new StreamkitError(
        'STATE_INCOMPATIBLE',
        `fromKafka: cannot restore from position ${JSON.stringify(position)}: not a Kafka position`,
      );
    }
    for (const [topic, parts] of Object.entries(position as KafkaPosition)) {
      for (const [p, offset] of Object.entries(parts)) {
        if (!Number.isInteger(offset) || offset < 0) {
          throw new StreamkitError('STATE_INCOMPATIBLE', `fromKafka: restored offset for ${topic}/${p} is ${offset}, not an offset`);
        }
        this.handed.set(topic, Number(p), offset);
        this.fetched.set(topic, Number(p), offset);
        this.restoredSeeks.set(topic, Number(p), offset);
      }
    }
  }

  /**
   * Where a partition just assigned must be sought to, if anywhere: its restored position (applied
   * once) or its resume point after a consumer replacement. Undefined: where the group left it.
   */
  seekOnAssign(topic: string, partition: number): number | undefined {
    const offset = this.restoredSeeks.get(topic, partition) ?? this.resumePoints?.get(topic, partition);
    if (offset !== undefined) this.restoredSeeks.delete(topic, partition);
    return offset;
  }

  /** Called once an assignment has been sought: resume points serve one assignment only. */
  assignmentSought(): void {
    this.resumePoints = undefined;
  }

  /** After the consumer is replaced, its successor's first assignment resumes each partition after what was handed on. */
  resumeFromHanded(): void {
    this.resumePoints = this.handed.copy();
  }

  /** Reading of a partition (re)starts at `from`; without it, where the group's committed offset says. */
  startAt(topic: string, partition: number, from: number | undefined): void {
    if (from === undefined) {
      this.handed.delete(topic, partition);
      this.fetched.delete(topic, partition);
    } else {
      this.handed.set(topic, partition, from);
      this.fetched.set(topic, partition, from);
    }
  }

  /** The first offset a fetch of this partition may buffer. */
  fetchFloor(topic: string, partition: number): number {
    return this.fetched.get(topic, partition) ?? 0;
  }

  /** Records up to `next` (exclusive) are in the buffer. */
  fetchedUpTo(topic: string, partition: number, next: number): void {
    this.fetched.set(topic, partition, next);
  }

  /** Records up to `next` (exclusive) were handed to the pipeline. */
  handedUpTo(topic: string, partition: number, next: number): void {
    this.handed.set(topic, partition, next);
  }

  /** The next offset after what was handed on, if anything was. */
  handedOf(topic: string, partition: number): number | undefined {
    return this.handed.get(topic, partition);
  }

  /** The buffered records of a revoked partition were dropped: fetching restarts after what was handed on. */
  rewindFetch(topic: string, partition: number): void {
    const handed = this.handed.get(topic, partition);
    if (handed === undefined) this.fetched.delete(topic, partition);
    else this.fetched.set(topic, partition, handed);
  }

  /** The position to checkpoint: what was handed on, per topic and partition. */
  position(): KafkaPosition {
    return this.handed.toPosition();
  }
}

/** Offsets by topic name, then partition number. */
class OffsetTable {
  private readonly byTopic = new Map<string, Map<number, number>>();

  get(topic: string, partition: number): number | undefined {
    return this.byTopic.get(topic)?.get(partition);
  }

  set(topic: string, partition: number, offset: number): void {
    let parts = this.byTopic.get(topic);
    if (!parts) this.byTopic.set(topic, (parts = new Map()));
    parts.set(partition, offset);
  }

  delete(topic: string, partition: number): void {
    this.byTopic.get(topic)?.delete(partition);
  }

  copy(): OffsetTable {
    const out = new OffsetTable();
    for (const [topic, parts] of this.byTopic) out.byTopic.set(topic, new Map(parts));
    return out;
  }

  toPosition(): KafkaPosition {
    const out: KafkaPosition = {};
    for (const [topic, parts] of this.byTopic) {
      const t: Record<string, number> = (out[topic] = {});
      for (const [p, offset] of parts) t[String(p)] = offset;
    }
    return out;
  }
}
