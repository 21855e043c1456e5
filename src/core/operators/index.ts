export { MapOperator } from './map-operator.js';
export { FilterOperator } from './filter-operator.js';
export { FlatMapOperator } from './flat-map-operator.js';
export { KeyByOperator } from './key-by-operator.js';
