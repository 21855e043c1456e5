import type { Aggregator } from '../types.js';

/** Plain-object keys and nesting a shape describes before it stops: enough to tell accumulators apart. */
const SHAPE_KEYS = 32;
const SHAPE_DEPTH = 3;

/**
 * Checks the identity fields an aggregator may declare, where it is handed over.
 * @param aggregator the aggregator.
 * @param where the call, for the message (`aggregate(spec)`, `combineAggregators: 'n'`).
 * @throws TypeError when `name` is not a non-empty string or `version` not a positive integer.
 * @example checkAggregatorIdentity({ ...count(), name: 'hits', version: 2 }, 'aggregate(spec)')
 */
export function checkAggregatorIdentity(aggregator: Aggregator, where: string): void {
  const { name, version } = aggregator;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 200)) {
    throw new TypeError(`${where}: the aggregator's name must be a non-empty string of at most 200 characters, got ${describe(name)}`);
  }
  if (version !== undefined && !(Number.isSafeInteger(version) && version > 0)) {
    throw new TypeError(`${where}: the aggregator's version must be a positive integer, got ${describe(version)}`);
  }
  if (version !== undefined && name === undefined) {
    throw new TypeError(`${where}: the aggregator has a version but no name; give it { name, version }`);
  }
}

/**
 * What a checkpoint records about an aggregator, and a restore compares: `name@version` for an
 * aggregator that declares them (`count@1`, `p95@2`, `hits` without a version), or
 * `anonymous(<shape>)` for one that does not, where the shape is the type layout of a fresh
 * accumulator (`anonymous({"count":number,"sum":number})`): its code cannot be compared, so two
 * anonymous aggregators whose accumulators have the same layout count as the same.
 * Named parts (`combineAggregators`) carry their parts' identities by name.
 * @param aggregator the aggregator.
 * @example aggregatorIdentity(count()) // 'count@1'
 * @see checkAggregatorIdentity
 */
export function aggregatorIdentity(aggregator: Aggregator): string {
  const { name, version } = aggregator;
  if (typeof name === 'string' && name.length > 0) return version === undefined ? name : `${name}@${version}`;
  let fresh: unknown;
  try {
    fresh = aggregator.create();
  } catch {
    return 'anonymous(?)';
  }
  return `anonymous(${shapeOf(fresh, 0)})`;
}

/** The type layout of a value: typeof for primitives, the class for built-in containers, keys for plain objects. */
function shapeOf(value: unknown, depth: number): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'Map';
  if (value instanceof Set) return 'Set';
  if (value instanceof Date) return 'Date';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (depth >= SHAPE_DEPTH) return 'object';
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const parts = keys.slice(0, SHAPE_KEYS).map((k) => `${JSON.stringify(k)}:${shapeOf(record[k], depth + 1)}`);
  if (keys.length > SHAPE_KEYS) parts.push(`…${keys.length - SHAPE_KEYS} more`);
  return `{${parts.join(',')}}`;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}
