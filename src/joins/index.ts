export { IntervalJoinOperator, intervalJoin } from './interval-join-operator.js';
export { joinSpecOf } from './join-options.js';
export type { JoinKind, JoinOptions, JoinSpec } from './join-options.js';
