/**
 * Declarations of a process function's per-key state: `valueState`, `mapState` and `listState`
 * describe a state's kind (and, for TypeScript, its types); the operator turns each into a handle
 * bound to the key of the record or timer being processed ({@link ValueState}, {@link MapState},
 * {@link ListState}), as Flink's state descriptors do.
 */

/** A declared value state: one value per key. */
export interface ValueStateDescriptor<V> {
  readonly kind: 'value';
  /** Type only: the value's type. */
  readonly __value?: V;
}

/** A declared map state: a map per key, one state entry per map key. */
export interface MapStateDescriptor<MK, MV> {
  readonly kind: 'map';
  /** Type only: the map's key and value types. */
  readonly __entry?: [MK, MV];
}

/** A declared list state: a list of elements per key. */
export interface ListStateDescriptor<E> {
  readonly kind: 'list';
  /** Type only: the element type. */
  readonly __element?: E;
}

/** Any state declaration. */
export type StateDescriptor = ValueStateDescriptor<any> | MapStateDescriptor<any, any> | ListStateDescriptor<any>;

/** The `state` object of a process spec: a name per declared state. */
export type StateDescriptors = Record<string, StateDescriptor>;

/**
 * Declares a value state: one value per key, `undefined` until set.
 * @example
 * const spec = { state: { total: valueState<number>() }, onRecord(r, ctx) { ctx.state.total.set((ctx.state.total.get() ?? 0) + 1) } }
 * @see mapState, listState
 */
export function valueState<V>(): ValueStateDescriptor<V> {
  return { kind: 'value' };
}

/**
 * Declares a map state: per key, a map whose keys may be anything `keyBy` accepts (compared by
 * their text, as keys are) and whose values are state values. With heap state each entry is its
 * own state entry, so a large map is written incrementally; with state on disk
 * (`levelState(dir, { memory })`) a key's map is one stored entry, rewritten when it changed.
 * @example
 * const spec = { state: { fares: mapState<number, number>() }, onRecord(t, ctx) { ctx.state.fares.set(t.zone, t.fare) } }
 * @see valueState, listState
 */
export function mapState<MK, MV>(): MapStateDescriptor<MK, MV> {
  return { kind: 'map' };
}

/**
 * Declares a list state: per key, a list of state values to append to and read back in order.
 * @example const spec = { state: { buffer: listState<Trip>() }, onRecord(t, ctx) { ctx.state.buffer.add(t) } }
 * @see valueState, mapState
 */
export function listState<E>(): ListStateDescriptor<E> {
  return { kind: 'list' };
}

/** The value state of the current key. */
export interface ValueState<V> {
  /** The value, or `undefined` when none is set (or it expired). */
  get(): V | undefined;
  /**
   * Sets the value. Values are stored by reference: after changing an object in place, call
   * `set` again, or the change is neither checkpointed nor refreshed for TTL.
   * @throws TypeError for what cannot be a state value (see docs/concepts/process-functions.md).
   */
  set(value: V): void;
  /** Removes the value. */
  clear(): void;
}

/** The map state of the current key. */
export interface MapState<MK, MV> {
  get(key: MK): MV | undefined;
  has(key: MK): boolean;
  /** @throws TypeError when `key` cannot be a key or `value` cannot be a state value. */
  set(key: MK, value: MV): void;
  delete(key: MK): void;
  /** Number of entries. */
  readonly size: number;
  /**
   * The entries in ascending order of the map keys' texts (`encodeKey`: strings in the order of
   * their JSON text, numbers in the order of their decimal text, not numerically): the same order
   * in every run and after a restore. A restored map key is the decoded text (a plain object for
   * an object key). The map may be changed while iterating.
   */
  entries(): IterableIterator<[MK, MV]>;
  /** The map keys, in the order of {@link MapState.entries}. */
  keys(): IterableIterator<MK>;
  /** The values, in the order of {@link MapState.entries}. */
  values(): IterableIterator<MV>;
  /** Removes every entry. */
  clear(): void;
}

/** The list state of the current key. */
export interface ListState<E> {
  /**
   * The elements in order (empty when none), as a frozen array that later changes to the state
   * do not affect: change the list with `add`, `update` and `clear`.
   */
  get(): readonly E[];
  /** @throws TypeError for what cannot be a state value. */
  add(element: E): void;
  /** Replaces the whole list. */
  update(elements: readonly E[]): void;
  clear(): void;
}

/** The handles of declared states, by name: what `ctx.state` holds. */
export type StateHandles<S extends StateDescriptors> = {
  readonly [N in keyof S]: S[N] extends ValueStateDescriptor<infer V>
    ? ValueState<V>
    : S[N] extends MapStateDescriptor<infer MK, infer MV>
      ? MapState<MK, MV>
      : S[N] extends ListStateDescriptor<infer E>
        ? ListState<E>
        : never;
};
