export { ChannelInputs } from './channel-inputs.js';
export { openExchange } from './exchange-channel.js';
export { ExchangeError, type ExchangeFailure } from './exchange-error.js';
export type { BarrierFrame, BatchFrame, EndFrame, ExchangeFrame, IdleFrame, RecordsFrame, WatermarkFrame } from './exchange-frame.js';
export { ExchangeReceiver } from './exchange-receiver.js';
export { ExchangeSender, type ExchangeSenderOptions, type SendableFrame } from './exchange-sender.js';
export { MAX_EXCHANGE_DEPTH, UnsupportedExchangeValueError, checkExchangeValues } from './exchange-values.js';
export { planFileSplits, type FileSplit } from './file-splits.js';
export { fromJsonlSplit } from './jsonl-split-source.js';
export {
  DEFAULT_MAX_PARALLELISM,
  MAX_KEY_GROUPS,
  hashKeyText,
  keyGroupOf,
  keyGroupRange,
  workerForKeyGroup,
  type KeyGroupRange,
} from './key-groups.js';
export { OrderedInputs, type OrderedInputsOptions } from './ordered-inputs.js';
export { OrderedPartitioner, keyGroupsOf, type AfterBatch } from './ordered-partition.js';
export { failOnWorkerFailure, type FailableEndpoint } from './worker-failure.js';
export { capturePipeline, type CapturedPipeline } from './pipeline-worker.js';
export {
  describePlanDifference,
  planDigest,
  type DigestedEntry,
  type DigestedNode,
  type DigestedPlan,
  type PlanDigest,
} from './plan-digest.js';
