import { kafkajs } from '../connection/create-kafka-client.js';

/** Group-coordination errors that mean a rebalance is under way (or this member left the group). */
const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
]);

/**
 * Whether an offset commit failed because the group is rebalancing: such a commit is skipped, the
 * next checkpoint commits again, and until then a new owner replays from the previous commit.
 */
export function isRebalanceError(error: unknown): boolean {
  const type = (error as { type?: unknown }).type;
  if (typeof type === 'string' && REBALANCE_ERRORS.has(type)) return true;
  return error instanceof kafkajs().KafkaJSError && /rebalanc|not a member|generation/i.test(error.message);
}
