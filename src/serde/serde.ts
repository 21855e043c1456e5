/**
 * Turns values into message bytes. May be async (a Schema Registry lookup on first use).
 *
 * @example
 * const upper: Serializer<string> = { serialize: (s) => Buffer.from(s.toUpperCase()) };
 */
export interface Serializer<T> {
  serialize(value: T): Buffer | Promise<Buffer>;
}

/**
 * Turns message bytes into values. Throwing marks the message as bad: sources send it to the
 * dead-letter output with the reason and the raw bytes, and keep running.
 *
 * @example
 * const text: Deserializer<string> = { deserialize: (b) => b.toString('utf8') };
 */
export interface Deserializer<T> {
  /**
   * @param bytes the message value.
   * @param message the message it came from, when the source has one (Kafka: key, timestamp,
   *   offset, headers), for formats that keep part of a record outside the value.
   */
  deserialize(bytes: Buffer, message?: MessageMetadata): T | Promise<T>;
}

/** What a Kafka source passes a deserializer about the message besides its value (kafkajs's fields). */
export interface MessageMetadata {
  key: Buffer | null;
  /** Epoch milliseconds, as a decimal string. */
  timestamp: string;
  offset: string;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
}

/**
 * A serializer and deserializer of the same type, such as {@link jsonSerde} or {@link avroSerde}.
 *
 * @example
 * const serde: Serde<Trip> = jsonSerde<Trip>();
 * serde.deserialize(await serde.serialize(trip)); // deep-equals trip
 */
export interface Serde<T> extends Serializer<T>, Deserializer<T> {}
