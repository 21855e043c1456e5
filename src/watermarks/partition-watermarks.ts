/**
 * Tracks one watermark per source partition and combines them by minimum over the partitions that
 * are not idle (Flink's rule: a slow partition holds the stream back rather than losing its data).
 * If every partition is idle the combined watermark holds. Never goes backwards.
 */
export class PartitionWatermarks {
  private readonly maxSeen = new Map<number, number>();
  private readonly lastActivity = new Map<number, number>();
  private readonly idle = new Set<number>();
  private combined = -Infinity;

  constructor(
    private readonly maxDelay: number,
    private readonly idleTimeout: number | undefined,
  ) {}

  /**
   * Records that `partition` saw timestamps up to `maxTimestamp` at processing time `now`. A
   * maximum that is not a safe integer is not an event time (`withTimestamps` dead-letters such
   * records before they get here) and is ignored: a bad timestamp never moves the watermark,
   * whichever stage reports it. The partition still counts as active.
   */
  observe(partition: number, maxTimestamp: number, now: number): void {
    this.lastActivity.set(partition, now);
    this.idle.delete(partition);
    if (!Number.isSafeInteger(maxTimestamp)) return;
    const previous = this.maxSeen.get(partition);
    if (previous === undefined || maxTimestamp > previous) this.maxSeen.set(partition, maxTimestamp);
  }

  /** Marks partitions idle whose last record is older than the idle timeout. */
  checkIdle(partitions: readonly number[], now: number): void {
    if (this.idleTimeout === undefined) return;
    for (const p of partitions) {
      const last = this.lastActivity.get(p);
      if (last === undefined) {
        // A partition that never sent anything starts its idle clock when first seen.
        this.lastActivity.set(p, now);
      } else if (now - last >= this.idleTimeout) {
        this.idle.add(p);
      }
    }
  }

  /** The partition's own watermark (`-Infinity` before its first record). */
  partitionWatermark(partition: number): number {
    const max = this.maxSeen.get(partition);
    return max === undefined ? -Infinity : max - this.maxDelay - 1;
  }

  isIdle(partition: number): boolean {
    return this.idle.has(partition);
  }

  /**
   * The stream watermark over the source's current `partitions`. A partition that left (a Kafka
   * revoke) is forgotten, so it no longer holds the others back; a source that names no partitions
   * is tracked by the partitions its batches came from. Returns the new value; it never decreases.
   */
  current(partitions: readonly number[]): number {
    if (partitions.length > 0) {
      for (const p of this.maxSeen.keys()) if (!partitions.includes(p)) this.remove(p);
    }
    let min = Infinity;
    let active = 0;
    for (const p of partitions.length > 0 ? partitions : this.maxSeen.keys()) {
      if (this.idle.has(p)) continue;
      active++;
      const w = this.partitionWatermark(p);
      if (w < min) min = w;
    }
    if (active > 0 && min > this.combined) this.combined = min;
    return this.combined;
  }

  /** Drops a partition that left (Kafka revoke), so it stops holding the watermark. */
  remove(partition: number): void {
    this.maxSeen.delete(partition);
    this.lastActivity.delete(partition);
    this.idle.delete(partition);
  }
}
