export { fromKafka, KafkaSource } from './kafka-source.js';
export type { KafkaSourceOptions, KafkaRebalanceEvent, KafkaTopicPartition } from './kafka-source-options.js';
export type { KafkaPosition } from './consumer-offsets.js';
export type { KafkaDeadLetter } from './kafka-dead-letter.js';
