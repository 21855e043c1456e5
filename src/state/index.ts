export type { CheckpointData, OperatorStateChanges, RestoredCheckpoint, StateBackend } from './state-backend.js';
export { memoryState, MemoryStateBackend } from './memory-state.js';
export { levelState, LevelStateBackend, type LevelStateOptions } from './level-state.js';
export { StateChangeCollector, EncodedStateValue, encodeStateValue } from './state-change-collector.js';
export { sortableTime, fromSortableTime, STATE_FORMAT_VERSION } from './state-key.js';
export type { TaskStateBackend, TaskCheckpoint, RestoredTask } from './task-state-backend.js';
export { kafkaChangelog, KafkaChangelogState, type KafkaChangelogOptions } from './kafka-changelog/index.js';
