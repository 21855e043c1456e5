export { fromKafka, KafkaSource } from './consumer/index.js';
export type { KafkaSourceOptions, KafkaPosition, KafkaDeadLetter, KafkaRebalanceEvent, KafkaTopicPartition } from './consumer/index.js';
export { KAFKA_TOPIC_PARTITION_STRIDE } from './partition-id.js';
export type { KafkaConnectionOptions } from './connection/index.js';
export { toKafka, toKafkaDeadLetters, DEAD_LETTER_HEADERS } from './producer/index.js';
export type { KafkaSink, KafkaSinkOptions, KafkaDeadLetterSinkOptions } from './producer/index.js';
export { kafkaChangelog, KafkaChangelogState, type KafkaChangelogOptions } from './changelog/index.js';
export { REPARTITION_HEADERS } from './repartition.js';
export type { RepartitionOptions, RepartitionConsumerOptions, RepartitionProducerOptions } from './repartition.js';
