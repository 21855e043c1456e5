export { toArray } from './array-sink.js';
export type { ArraySink } from './array-sink.js';
export { toJsonl } from './jsonl-sink.js';
export type { JsonlSinkOptions } from './jsonl-sink.js';
export { toObservable } from './observable-sink.js';
export type { ObservableSink } from './observable-sink.js';
export { toKafka, toKafkaDeadLetters, DEAD_LETTER_HEADERS } from './kafka-sink.js';
export type { KafkaSink, KafkaSinkOptions, KafkaDeadLetterSinkOptions } from './kafka-sink.js';
