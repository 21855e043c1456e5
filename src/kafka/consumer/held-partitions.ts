/**
 * Partitions assigned to a source that runs a task per partition, waiting for their task's state
 * to be restored before anything is read (`SourceContext.holdNewPartitions`). The consumer keeps
 * them paused; a fetch that arrived before the pause took effect is skipped, and its first offset
 * remembered: where reading resumes when the task has no position of its own.
 */
export class HeldPartitions {
  /** Streamkit partition id → the first offset fetched and skipped while held. */
  private readonly held = new Map<number, number | undefined>();

  hold(partitionId: number): void {
    this.held.set(partitionId, undefined);
  }

  has(partitionId: number): boolean {
    return this.held.has(partitionId);
  }

  /** A fetch of a held partition arrived, starting at `firstOffset`: it is dropped and read again later. */
  skipped(partitionId: number, firstOffset: number): void {
    if (this.held.has(partitionId) && this.held.get(partitionId) === undefined) this.held.set(partitionId, firstOffset);
  }

  /**
   * Stops holding a partition.
   * @returns whether it was held, and the first offset skipped meanwhile
   */
  release(partitionId: number): { held: boolean; skippedFrom?: number } {
    if (!this.held.has(partitionId)) return { held: false };
    const skippedFrom = this.held.get(partitionId);
    this.held.delete(partitionId);
    return { held: true, skippedFrom };
  }

  /** Streamkit partition ids held now. */
  ids(): number[] {
    return [...this.held.keys()];
  }
}
