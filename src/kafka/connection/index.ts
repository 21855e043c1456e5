export {
  CONNECTION_OPTION_NAMES,
  DEFAULT_CONNECTION_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_RETRY,
  validateConnectionOptions,
  type KafkaConnectionOptions,
} from './kafka-connection-options.js';
export { createKafkaClient, kafkajs } from './create-kafka-client.js';
export { causeChain, connectionError, isPermanentKafkaError, isUnreachableError, kafkaFailure } from './connection-error.js';
export { createTopicsWithLeaders } from './create-topics.js';
