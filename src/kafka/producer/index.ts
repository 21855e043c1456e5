export { toKafka, type KafkaSinkOptions } from './kafka-sink.js';
export { toKafkaDeadLetters, DEAD_LETTER_HEADERS, type KafkaDeadLetterSinkOptions } from './kafka-dead-letter-sink.js';
export type { KafkaSink } from './kafka-producer-sink.js';
