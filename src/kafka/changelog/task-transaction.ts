import type { Message, Producer, Transaction } from 'kafkajs';
import { encodeMarkerKey, encodeStateRecordKey } from './changelog-record.js';
import type { LocalBatch, LocalTaskStore } from './local-task-store.js';

/** Bytes of records per produce request inside one checkpoint's transaction (brokers refuse batches over 1 MiB by default). */
const SEND_CHUNK_BYTES = 512 * 1024;

/**
 * One task's checkpoint on its way into the changelog: its records go into the task's Kafka
 * transaction in chunks of 512 KiB (a checkpoint of millions of changes never sits in memory as
 * records all at once) and, when the task has a local store, into one batch of it, which is applied
 * only after the transaction has committed.
 * @example
 * const tx = await TaskTransaction.begin(producer, topic, partition, task, local);
 * if (tx.add('dedup#0', 'g/3/trip-7', bytes)) await tx.send();
 * const offset = await tx.commit(JSON.stringify(marker));
 */
export class TaskTransaction {
  private chunk: Message[] = [];
  private chunkBytes = 0;
  private readonly batch: LocalBatch | undefined;

  private constructor(
    private readonly transaction: Transaction,
    private readonly topic: string,
    private readonly partition: number,
    private readonly task: string,
    private readonly local: LocalTaskStore | undefined,
  ) {
    this.batch = local?.batch();
  }

  static async begin(producer: Producer, topic: string, partition: number, task: string, local?: LocalTaskStore): Promise<TaskTransaction> {
    return new TaskTransaction(await producer.transaction(), topic, partition, task, local);
  }

  /**
   * Adds operator `uid`'s entry under `key`, or its tombstone when `value` is null.
   * @returns true when the chunk is full: the caller sends it before adding more.
   */
  add(uid: string, key: string, value: Buffer | null, recordKey = encodeStateRecordKey(this.task, uid, key)): boolean {
    this.chunk.push({ key: recordKey, value, partition: this.partition });
    this.chunkBytes += recordKey.length + (value === null ? 0 : value.length);
    if (this.local && this.batch) {
      if (value === null) this.local.del(this.batch, uid, key);
      else this.local.put(this.batch, uid, key, value);
    }
    return this.chunkBytes >= SEND_CHUNK_BYTES;
  }

  /** Sends the records added so far. */
  async send(): Promise<number> {
    const [sent] = await this.transaction.send({ topic: this.topic, messages: this.chunk });
    this.chunk = [];
    this.chunkBytes = 0;
    const base = Number(sent?.baseOffset ?? -1);
    return Number.isSafeInteger(base) ? base : -1;
  }

  /**
   * Sends the marker, last, and commits.
   * @returns the marker record's offset in the changelog partition, or -1 when the broker did not
   *   tell (one send is one record batch of the partition, numbered on from its base offset).
   */
  async commit(marker: string): Promise<number> {
    this.chunk.push({ key: encodeMarkerKey(this.task), value: marker, partition: this.partition });
    const last = this.chunk.length - 1;
    const base = await this.send();
    await this.transaction.commit();
    return base >= 0 ? base + last : -1;
  }

  /** Aborts the transaction and drops the local batch. */
  async abort(): Promise<void> {
    await this.transaction.abort().catch(() => undefined);
    await this.batch?.close();
  }

  /**
   * After the commit: applies the records to the local store with the position of the marker at
   * `offset` (without one, the store holds no position and is rebuilt when next acquired).
   */
  async applyLocally(marker: string, offset: number): Promise<void> {
    if (!this.local || !this.batch) return;
    if (offset >= 0) this.local.setPosition(this.batch, { topic: this.topic, offset, marker });
    else this.local.clearPosition(this.batch);
    await this.batch.write({ sync: true });
  }
}
