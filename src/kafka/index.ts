export { fromKafka, KafkaSource, KAFKA_TOPIC_PARTITION_STRIDE } from './kafka-source.js';
export type { KafkaSourceOptions, KafkaPosition, KafkaDeadLetter, KafkaRebalanceEvent, KafkaTopicPartition } from './kafka-source.js';
export type { KafkaConnectionOptions } from './kafka-connection.js';
export { toKafka, toKafkaDeadLetters, DEAD_LETTER_HEADERS } from './kafka-sink.js';
export type { KafkaSink, KafkaSinkOptions, KafkaDeadLetterSinkOptions } from './kafka-sink.js';
export { kafkaChangelog, KafkaChangelogState, type KafkaChangelogOptions } from './changelog/index.js';
export { REPARTITION_HEADERS } from './repartition.js';
export type { RepartitionOptions, RepartitionConsumerOptions, RepartitionProducerOptions } from './repartition.js';
