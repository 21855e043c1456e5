import { echoMasked } from '../observability/mask-secrets.js';

/**
 * The Confluent Schema Registry wire format: byte 0 is the magic byte `0`, bytes 1–4 the schema id
 * as a big-endian unsigned 32-bit integer, then the Avro binary body. Every Confluent-compatible
 * client (Java, librdkafka, Karapace, Redpanda) reads and writes this framing.
 */
export const CONFLUENT_MAGIC_BYTE = 0;

/** Length of the magic byte plus the schema id. */
export const CONFLUENT_HEADER_LENGTH = 5;

/**
 * Frames an encoded body with the magic byte and schema id.
 *
 * @param schemaId - the registry's id of the writer schema, an integer in [0, 2^32)
 * @param body - the Avro binary encoding of the value
 * @example
 * encodeConfluentFrame(7, Buffer.from([2, 97])); // <00 00 00 00 07 02 61>
 */
export function encodeConfluentFrame(schemaId: number, body: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new RangeError(`schemaId must be an integer in [0, 2^32), got ${echoMasked(schemaId)}`);
  }
  const frame = Buffer.allocUnsafe(CONFLUENT_HEADER_LENGTH + body.length);
  frame.writeUInt8(CONFLUENT_MAGIC_BYTE, 0);
  frame.writeUInt32BE(schemaId, 1);
  body.copy(frame, CONFLUENT_HEADER_LENGTH);
  return frame;
}

/**
 * Splits a framed message into its schema id and body.
 *
 * @throws TypeError when the message is too short or its first byte is not the magic byte
 *   (bad input: a Kafka source sends such a message to the dead-letter output)
 * @example
 * decodeConfluentFrame(frame); // { schemaId: 7, body: <02 61> }
 */
export function decodeConfluentFrame(frame: Buffer): { schemaId: number; body: Buffer } {
  if (frame.length < CONFLUENT_HEADER_LENGTH) {
    throw new TypeError(`not Confluent wire format: ${frame.length} bytes, need at least ${CONFLUENT_HEADER_LENGTH}`);
  }
  const magic = frame.readUInt8(0);
  if (magic !== CONFLUENT_MAGIC_BYTE) {
    throw new TypeError(`not Confluent wire format: magic byte is ${magic}, expected ${CONFLUENT_MAGIC_BYTE}`);
  }
  return { schemaId: frame.readUInt32BE(1), body: frame.subarray(CONFLUENT_HEADER_LENGTH) };
}
