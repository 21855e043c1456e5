import { StateError } from '../core/errors.js';

/** What a join or lookup keeps in its meta entry besides its options: where it stood. */
export interface JoinProgress {
  watermark: number;
  seq: number;
}

/**
 * Reads the progress a join or lookup stored in its meta entry (heap `j1/m`, `l1/m`, or resident
 * `jr1/m`, `lr1/m`) and checks that it was written with the same options, which decide what its
 * stored records mean.
 * @param operator names the operator in errors (`join`, `lookup`).
 * @param key the meta entry's key, for errors.
 * @param value what the entry holds: the options' fields, `watermark` and `seq`.
 * @param spec the operator's options; every field must equal the stored one.
 * @param holds what its state holds, for the refusal (`buffers`, `table versions and held records`).
 * @throws StateError `STATE_CORRUPT` when the entry is not a meta entry; `STATE_INCOMPATIBLE` when
 *   it was written with other options.
 * @example const { watermark, seq } = checkedJoinProgress('join', 'j1/m', value, spec, 'buffers');
 */
export function checkedJoinProgress<S extends object>(operator: string, key: string, value: unknown, spec: S, holds: string): JoinProgress {
  const m = value as Partial<JoinProgress> & Partial<Record<keyof S, unknown>>;
  if (!m || typeof m.watermark !== 'number' || typeof m.seq !== 'number') {
    throw new StateError('STATE_CORRUPT', `${operator}: cannot read ${key}`);
  }
  const fields = Object.keys(spec) as Array<keyof S>;
  if (fields.some((field) => m[field] !== spec[field])) {
    const describe = (s: Partial<Record<keyof S, unknown>>) =>
      `{ ${fields.map((field) => `${String(field)}: ${String(s[field])}`).join(', ')} }`;
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `${operator}: the checkpoint was taken with ${describe(m)}, this ${operator} has ${describe(spec as Partial<Record<keyof S, unknown>>)}; ` +
        `its ${holds} mean something else: use a new state directory or the same ${operator}`,
    );
  }
  return { watermark: m.watermark, seq: m.seq };
}
