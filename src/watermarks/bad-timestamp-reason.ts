import { types } from 'node:util';
import { describeValue } from '../core/errors.js';

/**
 * Why a value cannot be an event time, or `undefined` when it can. An event time is a safe integer
 * of epoch milliseconds (`Number.isSafeInteger`): beyond ±(2^53 − 1) neighbouring integers are no
 * longer distinct numbers, so window bounds and the watermark would be wrong. Checked once, by
 * `withTimestamps`, before the watermark sees the record: a rejected timestamp never moves it.
 * @param value - what the timestamp extractor returned.
 * @returns the dead-letter reason, or `undefined` for a valid event time.
 * @example badTimestampReason(2 ** 53 + 2) // 'bad timestamp: 9007199254740994 is not a safe integer …'
 * @example badTimestampReason(1_704_067_200_000) // undefined
 */
export function badTimestampReason(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) {
    return `bad timestamp: ${value} is not a safe integer of epoch milliseconds (it must lie within ±${Number.MAX_SAFE_INTEGER})`;
  }
  return `bad timestamp: expected an integer of epoch milliseconds, got ${timestampText(value)}`;
}

function timestampText(value: unknown): string {
  if (types.isDate(value)) return 'a Date object (use date.getTime())';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'bigint') return `the bigint ${value}n (use Number(t))`;
  return describeValue(value);
}
