import type { KafkaRebalanceEvent, KafkaTopicPartition } from './kafka-source-options.js';
import { partitionKey } from './read-buffer.js';

/**
 * The partitions a consumer-group member owns, as its rebalances change them, and who hears of
 * the changes. kafkajs rebalances eagerly: on `REBALANCING` the member gives up every partition,
 * on `GROUP_JOIN` it gets its new share.
 */
export class PartitionAssignment {
  private assigned: KafkaTopicPartition[] = [];
  /**
   * Partitions given up in a rebalance that is still under way. Until the group's next generation
   * starts, the broker still accepts this member's commits for them, so a checkpoint taken on
   * `revoked` can hand them over at its exact position.
   */
  private revoking: KafkaTopicPartition[] = [];
  private readonly listeners = new Set<(event: KafkaRebalanceEvent) => void>();

  /** @param topics - the topics read, in the order given: assignments are listed in this order */
  constructor(private readonly topics: readonly string[]) {}

  /** Topic partitions currently assigned. */
  current(): readonly KafkaTopicPartition[] {
    return this.assigned;
  }

  /** The group gave this member `memberAssignment` (topic → partitions): the rebalance is over. */
  join(memberAssignment: Record<string, number[]>): KafkaTopicPartition[] {
    const assigned: KafkaTopicPartition[] = [];
    for (const topic of this.topics) {
      for (const partition of [...(memberAssignment[topic] ?? [])].sort((a, b) => a - b)) assigned.push({ topic, partition });
    }
    this.assigned = assigned;
    this.revoking = [];
    return assigned;
  }

  /** A rebalance started: every partition is given up until the next join. Returns them. */
  revokeAll(): KafkaTopicPartition[] {
    const revoked = this.assigned;
    this.assigned = [];
    this.revoking = revoked;
    return revoked;
  }

  /** The member is gone (its consumer crashed): it hands nothing over. */
  forgetRevoking(): void {
    this.revoking = [];
  }

  /**
   * Keys (see `partitionKey`) of the partitions whose offsets this member may commit: those it owns
   * or is handing over. The broker checks the generation, not ownership, so committing a partition
   * another member owns now would move that member's offset back.
   */
  committable(): Set<string> {
    return new Set([...this.assigned, ...this.revoking].map((tp) => partitionKey(tp.topic, tp.partition)));
  }

  /** @returns a function that unsubscribes */
  subscribe(listener: (event: KafkaRebalanceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener; returns what listeners threw, for the source to fail with. */
  emit(event: KafkaRebalanceEvent): unknown[] {
    const errors: unknown[] = [];
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }
}
