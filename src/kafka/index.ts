export { REPARTITION_HEADERS } from './repartition.js';
export type { RepartitionOptions, RepartitionConsumerOptions, RepartitionProducerOptions } from './repartition.js';
