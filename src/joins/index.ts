export { IntervalJoinOperator, intervalJoin } from './interval-join-operator.js';
export { joinSpecOf } from './join-options.js';
export type { JoinKind, JoinOptions, JoinSpec } from './join-options.js';
export { LookupJoinOperator, lookupJoin, STATIC_ROW_TIME } from './lookup-join-operator.js';
export type { LookupTableSide } from './lookup-join-operator.js';
export { checkTableOptions, lookupSpecOf } from './lookup-options.js';
export type { LookupKind, LookupOptions, LookupSpec, TableOptions } from './lookup-options.js';
