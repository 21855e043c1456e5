import { StateError } from '../core/errors.js';
import type { ResidentState } from '../core/resident-state.js';

/** What every resident join meta entry holds: the watermark it was written at. */
interface ResidentMetaShape {
  watermark: number;
}

/**
 * Reads a resident join's meta entry (`jr1/m`, `lr1/m`), the one entry a restore reads at open.
 * @param operator names the operator in the error (`join`, `lookup`).
 * @param bucketFields the fields that hold the chunk counts of its time buckets.
 * @returns the stored meta, `undefined` on a fresh start.
 * @throws StateError `STATE_CORRUPT` when the entry is there but not a meta entry of this layout.
 * @example const meta = readResidentJoinMeta<ResidentJoinMeta>(store, 'jr1/m', 'join', ['buckets']);
 */
export function readResidentJoinMeta<M extends ResidentMetaShape>(
  store: ResidentState,
  key: string,
  operator: string,
  bucketFields: ReadonlyArray<keyof M>,
): M | undefined {
  const meta = store.get(key) as M | undefined;
  if (meta === undefined) return undefined;
  if (typeof meta?.watermark !== 'number' || !bucketFields.every((field) => Array.isArray(meta[field]))) {
    throw new StateError('STATE_CORRUPT', `${operator}: cannot read its resident meta entry ${key}`);
  }
  return meta;
}
