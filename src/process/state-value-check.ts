/** How deep arrays, objects, maps and sets may nest inside a state value. */
export const MAX_STATE_VALUE_DEPTH = 64;

/**
 * Checks that `value` can be a process function's state value: what a checkpoint stores and
 * restores as the same value. Allowed are `null`, booleans, numbers, strings, bigints, `Date`s,
 * and arrays, plain objects, `Map`s and `Set`s of these (`undefined` inside them too); not a
 * function, a symbol, an instance of another class (it would come back as a plain object, without
 * its methods), a cycle, or nesting deeper than {@link MAX_STATE_VALUE_DEPTH}. `undefined` itself
 * is not a value: `clear()` removes one.
 * @param value what the user stores.
 * @param where the call, named in the error (`state total.set`).
 * @throws TypeError naming the call and what is wrong.
 * @example checkStateValue({ n: 1, seen: new Set(['a']) }, 'state s.set') // ok
 */
export function checkStateValue(value: unknown, where: string): void {
  if (value === undefined) throw new TypeError(`${where}: undefined is not a state value; call clear() to remove a value`);
  const problem = problemOf(value, 0, []);
  if (problem !== undefined) throw new TypeError(`${where}: ${problem} cannot be a state value (checkpoints store plain data)`);
}

function problemOf(value: unknown, depth: number, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return undefined;
    case 'function':
      return 'a function';
    case 'symbol':
      return `a symbol (${String(value)})`;
  }
  if (value === null) return undefined;
  const object = value as object;
  const proto = Object.getPrototypeOf(object);
  if (proto === Date.prototype) return undefined;
  if (ancestors.includes(object)) return 'a value that contains itself (a cycle)';
  if (depth >= MAX_STATE_VALUE_DEPTH) return `a value nested deeper than ${MAX_STATE_VALUE_DEPTH} levels`;
  ancestors.push(object);
  let problem: string | undefined;
  if (Array.isArray(object) && proto === Array.prototype) {
    for (let i = 0; i < object.length && problem === undefined; i++) problem = problemOf(object[i], depth + 1, ancestors);
  } else if (proto === Object.prototype || proto === null) {
    for (const name of Object.keys(object)) {
      problem = problemOf((object as Record<string, unknown>)[name], depth + 1, ancestors);
      if (problem !== undefined) break;
    }
  } else if (proto === Map.prototype) {
    for (const [k, v] of object as Map<unknown, unknown>) {
      problem = problemOf(k, depth + 1, ancestors) ?? problemOf(v, depth + 1, ancestors);
      if (problem !== undefined) break;
    }
  } else if (proto === Set.prototype) {
    for (const v of object as Set<unknown>) {
      problem = problemOf(v, depth + 1, ancestors);
      if (problem !== undefined) break;
    }
  } else {
    const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
    problem = typeof name === 'string' && name.length > 0 ? `a ${name} (a class instance)` : 'a class instance';
  }
  ancestors.pop();
  return problem;
}
