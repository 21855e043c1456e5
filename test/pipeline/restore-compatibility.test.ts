import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray, type ArraySink } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, max, sum } from '../../src/windowing/aggregators/index.js';
import { global } from '../../src/windowing/global.js';
import { hopping } from '../../src/windowing/hopping.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { AccumulationMode } from '../../src/windowing/types.js';

interface Event {
  id: string;
  key: string;
  t: number;
  v: number;
}

const KINDS = ['tumbling', 'hopping', 'sliding', 'session', 'global'] as const;
const AGGREGATES = ['count', 'sum', 'named', 'max'] as const;
const MODES: AccumulationMode[] = ['accumulating', 'discarding', 'retracting'];

interface WindowSpec {
  kind: (typeof KINDS)[number];
  keyed: boolean;
  aggregate: (typeof AGGREGATES)[number];
  mode: AccumulationMode;
}

/** The stateful part of a pipeline: what must restore exactly, or be refused when it changes. */
interface Spec {
  dedup: boolean;
  /** dedup's horizon (default '10s'). */
  within?: string;
  main: WindowSpec;
  /** A second window on a branch of the timestamped stream. */
  branch?: WindowSpec;
}

/** Stateless operators that change no result, and where they go. */
type Neutral = 'map' | 'copy' | 'filter' | 'flatMap';
const SLOTS = ['source', 'timestamped', 'deduped', 'keyed', 'results', 'branch'] as const;
type Slots = Record<(typeof SLOTS)[number], Neutral[]>;

const windowSpec: fc.Arbitrary<WindowSpec> = fc.record({
  kind: fc.constantFrom(...KINDS),
  keyed: fc.boolean(),
  aggregate: fc.constantFrom(...AGGREGATES),
  mode: fc.constantFrom(...MODES),
});
const specArb: fc.Arbitrary<Spec> = fc.record({ dedup: fc.boolean(), main: windowSpec, branch: fc.option(windowSpec, { nil: undefined }) });
const slotsArb: fc.Arbitrary<Slots> = fc.record(
  Object.fromEntries(
    SLOTS.map((slot) => [slot, fc.array(fc.constantFrom<Neutral>('map', 'copy', 'filter', 'flatMap'), { maxLength: 2 })]),
  ) as Record<keyof Slots, fc.Arbitrary<Neutral[]>>,
);

/** Events in arrival order: some late, some redelivered (same id and time). */
const eventsArb: fc.Arbitrary<Event[]> = fc
  .array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: 0, max: 12_000 }), v: fc.integer({ min: -9, max: 9 }) }), {
    minLength: 30,
    maxLength: 160,
  })
  .chain((base) =>
    fc.tuple(fc.constant(base), fc.array(fc.nat(), { maxLength: 10 }), fc.array(fc.integer({ min: -2000, max: 2000 }), { minLength: 1 })),
  )
  .map(([base, copies, jitter]) => {
    const events: Event[] = base.map((e, i) => ({ ...e, id: `e${i}` }));
    for (const c of copies) events.push({ ...events[c % base.length] });
    const arrival = events.map((e, i) => ({ e, at: e.t + jitter[i % jitter.length], i }));
    arrival.sort((x, y) => x.at - y.at || x.i - y.i);
    return arrival.map((a) => a.e);
  });

function neutral(stream: any, ops: Neutral[]): any {
  for (const op of ops) {
    if (op === 'map') stream = stream.map((x: unknown) => x);
    else if (op === 'copy') stream = stream.map((x: object) => ({ ...x }));
    else if (op === 'filter') stream = stream.filter(() => true);
    else stream = stream.flatMap((x: unknown) => [x]);
  }
  return stream;
}

function windowed(stream: any, spec: WindowSpec, beforeWindow: Neutral[]): any {
  const keyed = neutral(spec.keyed ? stream.keyBy((e: Event) => e.key) : stream, beforeWindow);
  const assigner =
    spec.kind === 'tumbling'
      ? tumbling(2000)
      : spec.kind === 'hopping'
        ? hopping(4000, 2000)
        : spec.kind === 'sliding'
          ? sliding(1500)
          : spec.kind === 'session'
            ? session(700)
            : global();
  const aggregate =
    spec.aggregate === 'count'
      ? count()
      : spec.aggregate === 'sum'
        ? sum((e: Event) => e.v)
        : spec.aggregate === 'max'
          ? max((e: Event) => e.v)
          : { n: count(), total: sum((e: Event) => e.v) };
  const options = spec.kind === 'global' ? { mode: spec.mode, trigger: afterCount(4) } : { mode: spec.mode, allowedLateness: 1000 };
  return keyed.window(assigner, options).aggregate(aggregate);
}

type Result = WindowResult<unknown, unknown>;

interface Sinks {
  main: ArraySink<Result>;
  branch: ArraySink<Result>;
}

function pipeline(events: Event[], spec: Spec, slots: Slots, sinks: Sinks, batchSize: number): any {
  let stream: any = neutral(from(fromArray(events, { batchSize })), slots.source);
  stream = neutral(
    stream.withTimestamps((e: Event) => e.t, boundedOutOfOrderness(1500)),
    slots.timestamped,
  );
  if (spec.branch) {
    const branch = spec.branch;
    stream = stream.branch((b: any) => windowed(neutral(b, slots.branch), branch, []).to(sinks.branch));
  }
  if (spec.dedup) stream = stream.dedup((e: Event) => e.id, { within: spec.within ?? '10s' });
  stream = neutral(stream, slots.deduped);
  return neutral(windowed(stream, spec.main, slots.keyed), slots.results).to(sinks.main);
}

const sinks = (): Sinks => ({ main: toArray<Result>(), branch: toArray<Result>() });
const byId = (items: Result[]) => new Map(items.map((r) => [r.id, r]));

/** Runs `spec` with `slots` until checkpoint `cut` completes; returns the state and what it wrote. */
async function firstRun(events: Event[], spec: Spec, slots: Slots, cut: number, every: number, batchSize: number) {
  const state = memoryState();
  const out = sinks();
  const job = pipeline(events, spec, slots, out, batchSize).run({
    state,
    credits: 1,
    checkpointEvery: { records: every },
    onEvent: (e: { type: string; id?: number }) => e.type === 'checkpoint.completed' && e.id === cut && job.stop(),
  });
  await job;
  return { state, out };
}

const runArb = fc.record({
  cut: fc.integer({ min: 1, max: 4 }),
  every: fc.integer({ min: 5, max: 30 }),
  batchSize: fc.integer({ min: 1, max: 9 }),
});

describe('restore compatibility (property)', () => {
  it('adding or removing stateless operators between a checkpoint and a restore restores exactly', async () => {
    let restored = 0;
    await fc.assert(
      fc.asyncProperty(eventsArb, specArb, slotsArb, slotsArb, runArb, async (events, spec, before, after, { cut, every, batchSize }) => {
        const whole = sinks();
        await pipeline(events, spec, after, whole, batchSize).run({ state: memoryState(), checkpointEvery: { records: every } });
        const first = await firstRun(events, spec, before, cut, every, batchSize);
        const second = sinks();
        const summary = await pipeline(events, spec, after, second, batchSize).run({
          state: first.state,
          checkpointEvery: { records: every },
        });
        if (summary.restoredFrom !== undefined && summary.records < events.length) restored++;
        expect(byId([...first.out.main.items, ...second.main.items])).toEqual(byId(whole.main.items));
        expect(byId([...first.out.branch.items, ...second.branch.items])).toEqual(byId(whole.branch.items));
      }),
      { numRuns: 80 },
    );
    // Most inputs are cut mid-way: the property is about restores.
    expect(restored).toBeGreaterThan(40);
  });

  it("changing a stateful operator's meaning is refused with a StateError naming it", async () => {
    type Change = { apply: (spec: Spec) => Spec; uid: string };
    const changeOf = (spec: Spec): fc.Arbitrary<Change> => {
      const windowChanges = (path: 'main' | 'branch', uid: string): Array<fc.Arbitrary<Change>> => {
        const w = spec[path]!;
        const other = <T>(all: readonly T[], current: T) => fc.constantFrom(...all.filter((x) => x !== current));
        const set = (patch: Partial<WindowSpec>): Change => ({ apply: (s) => ({ ...s, [path]: { ...s[path]!, ...patch } }), uid });
        return [
          other(KINDS, w.kind).map((kind) => set({ kind })),
          other(AGGREGATES, w.aggregate).map((aggregate) => set({ aggregate })),
          other(MODES, w.mode).map((mode) => set({ mode })),
          fc.constant(set({ keyed: !w.keyed })),
        ];
      };
      const changes = [...windowChanges('main', 'window#0')];
      if (spec.branch) changes.push(...windowChanges('branch', 'b0.0/window#0'));
      if (spec.dedup) changes.push(fc.constant<Change>({ apply: (s) => ({ ...s, within: '20s' }), uid: 'dedup#0' }));
      return fc.oneof(...changes);
    };
    await fc.assert(
      fc.asyncProperty(
        eventsArb,
        specArb.chain((spec) => fc.tuple(fc.constant(spec), changeOf(spec))),
        slotsArb,
        runArb,
        async (events, [spec, change], slots, { cut, every, batchSize }) => {
          const first = await firstRun(events, spec, slots, cut, every, batchSize);
          const stream = pipeline(events, change.apply(spec), slots, sinks(), batchSize);
          const error = await stream.run({ state: first.state }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(StateError);
          expect((error as StateError).code).toBe('STATE_INCOMPATIBLE');
          expect((error as StateError).message).toContain(`operator ${change.uid}: `);
        },
      ),
      { numRuns: 60 },
    );
  });
});
