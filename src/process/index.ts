export { valueState, mapState, listState } from './state-descriptors.js';
export type {
  ValueStateDescriptor,
  MapStateDescriptor,
  ListStateDescriptor,
  StateDescriptor,
  StateDescriptors,
  StateHandles,
  ValueState,
  MapState,
  ListState,
} from './state-descriptors.js';
export { keyedProcess, KeyedProcessOperator } from './process-operator.js';
export type { ProcessSpec, ProcessOptions, ProcessContext, TimerContext, TimerService } from './process-operator.js';
export { checkStateValue } from './state-value-check.js';
