export { memoryState, MemoryStateBackend } from './memory-state.js';
export {
  levelState,
  inspectLevelState,
  LevelStateBackend,
  type LevelStateOptions,
  type StoredCheckpoint,
  type StoredOperatorState,
} from './level-state.js';
export { StateChangeCollector, EncodedStateValue, encodeStateValue } from './state-change-collector.js';
export { sortableTime, fromSortableTime, STATE_FORMAT_VERSION } from './state-key.js';
export { keyedState, KeyedStateService } from './keyed-state-service.js';
export { TimerHeap, type Timer } from './timer-heap.js';
