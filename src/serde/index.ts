export type { Serde, Serializer, Deserializer, MessageMetadata } from './serde.js';
export { jsonSerde, type JsonSerdeOptions } from './json-serde.js';
export { avroSerde, type AvroSerdeOptions } from './avro-serde.js';
export { SchemaRegistryClient, type SchemaRegistryOptions } from './schema-registry-client.js';
export { encodeConfluentFrame, decodeConfluentFrame, CONFLUENT_MAGIC_BYTE, CONFLUENT_HEADER_LENGTH } from './confluent-wire-format.js';
