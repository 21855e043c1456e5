export { toArray } from './array-sink.js';
export type { ArraySink } from './array-sink.js';
export { toJsonl } from './jsonl-sink.js';
export type { JsonlSinkOptions } from './jsonl-sink.js';
export { toObservable } from './observable-sink.js';
export type { ObservableSink } from './observable-sink.js';
export { toLevel, openLevelTable, readLevelTable } from './level-sink.js';
export type { LevelSink, LevelSinkOptions, LevelTable, LevelTableRange, RowId } from './level-sink.js';
