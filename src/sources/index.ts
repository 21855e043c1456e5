export { fromArray } from './array-source.js';
export type { ArraySourceOptions } from './array-source.js';
export { fromIterable } from './iterable-source.js';
export type { IterableSourceOptions } from './iterable-source.js';
export { fromObservable } from './observable-source.js';
export { fromJsonl } from './jsonl-source.js';
export type { JsonlSourceOptions } from './jsonl-source.js';
export { UnionSource } from './union-source.js';
export type { UnionPosition } from './union-source.js';
