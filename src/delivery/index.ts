export { CreditChannel } from './credit-channel.js';
export { dedup, DedupOperator, type DedupId, type DedupOptions } from './dedup.js';
