import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PipelineError, StateError } from '../../src/core/errors.js';
import type { StateBackend } from '../../src/core/state-backend.js';
import type { WindowResult } from '../../src/core/window.js';
import type { Operator, Output, StateWriter } from '../../src/core/operator.js';
import type { Batch } from '../../src/core/batch.js';
import { from, type AggregateSpec, type Stream } from '../../src/pipeline/stream.js';
import type { RunOptions } from '../../src/runtime/runtime.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { levelState } from '../../src/state/level-state.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, max, sum } from '../../src/windowing/aggregators/index.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { session } from '../../src/windowing/session.js';
import type { Aggregator, WindowOptions } from '../../src/windowing/types.js';

interface Ride {
  id: string;
  zone: string;
  t: number;
  fare: number;
}

const rides: Ride[] = [];
for (let i = 0; i < 600; i++)
  rides.push({ id: `r${i % 40 === 39 ? i - 1 : i}`, zone: `z${i % 4}`, t: 10_000 + i * 100 - ((i * 31) % 700), fare: (i % 9) + 1 });

type Source = Stream<Ride>;
type Build = (source: Source) => Stream<any, null>;

const timed = (s: Source) => s.withTimestamps((r) => r.t, boundedOutOfOrderness(800));

interface Variant {
  within?: string;
  keyed?: boolean;
  options?: WindowOptions;
  aggregate?: AggregateSpec<Ride>;
}

/** The pipeline of the tests, dedup then per-zone counts in 5 s windows, or a variant of it. */
const zones =
  ({ within = '10s', keyed = true, options = {}, aggregate = count() }: Variant = {}): Build =>
  (s) => {
    const deduped = timed(s).dedup((r) => r.id, { within });
    return (keyed ? deduped.keyBy((r) => r.zone) : deduped).window(tumbling(5000), options).aggregate(aggregate);
  };
const base = zones();

function run(build: Build, state: StateBackend, options: Partial<RunOptions> = {}, out = toArray<WindowResult<unknown, unknown>>()) {
  const job = build(from(fromArray(rides, { batchSize: 25 })))
    .to(out)
    .run({ state, checkpointEvery: { records: 100 }, credits: 1, ...options });
  return { job, out };
}

/**
 * Runs `first` until checkpoint `cut` completes and stops it; the state holds the checkpoint the
 * stop takes last, {@link STOPPED_AT}.
 */
/** The checkpoint a run stopped after checkpoint 3 restores from: the final one its stop takes. */
const STOPPED_AT = 4;

async function checkpointed(first: Build, state: StateBackend, cut = 3) {
  const out = toArray<WindowResult<unknown, unknown>>();
  const job = first(from(fromArray(rides, { batchSize: 25 })))
    .to(out)
    .run({
      state,
      checkpointEvery: { records: 100 },
      credits: 1,
      onEvent: (e) => e.type === 'checkpoint.completed' && e.id === cut && job.stop(),
    });
  const summary = await job;
  expect(summary.stopped).toBe(true);
  return out.items;
}

function upsertById(items: Array<WindowResult<unknown, unknown>>): Map<string, unknown> {
  return new Map(items.map((r) => [r.id, r]));
}

async function refusal(promise: Promise<unknown>): Promise<StateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateError);
  return error as StateError;
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'streamkit-identity-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const backends: Array<[string, () => StateBackend]> = [
  ['memoryState', () => memoryState()],
  ['levelState', () => levelState(join(root, 'state'))],
];

describe.each(backends)('restoring into a changed pipeline (%s)', (_name, makeState) => {
  /** The backend of the next run: the same memoryState object each time, or a new levelState over the same directory. */
  let state: () => StateBackend;
  beforeEach(() => {
    const first = makeState();
    state = first.name === 'memory' ? () => first : makeState;
  });

  it('restores exactly when a .map() and a .filter() were added before the window', async () => {
    const changed: Build = (s) =>
      timed(s.map((r) => ({ ...r })).filter(() => true))
        .map((r) => r)
        .dedup((r) => r.id, { within: '10s' })
        .keyBy((r) => r.zone)
        .window(tumbling(5000))
        .aggregate(count());
    const whole = run(changed, memoryState(), { credits: 8 });
    await whole.job;
    const before = await checkpointed(base, state());
    const { job, out } = run(changed, state());
    const resumed = await job;
    expect(resumed.restoredFrom).toBe(STOPPED_AT);
    expect(resumed.records).toBeLessThan(rides.length);
    expect(upsertById([...before, ...out.items])).toEqual(upsertById(whole.out.items));
  });

  it('refuses count() changed to sum(v), naming the operator and the difference', async () => {
    await checkpointed(base, state());
    const changed = zones({ aggregate: sum((r: Ride) => r.fare) });
    const error = await refusal(run(changed, state()).job);
    expect(error.code).toBe('STATE_INCOMPATIBLE');
    expect(error.message).toMatch(/operator window#0: aggregate was "count@1", now "sum@1"/);
  });

  it('refuses count() changed to { n: count() }', async () => {
    await checkpointed(base, state());
    const changed = zones({ aggregate: { n: count() } });
    const error = await refusal(run(changed, state()).job);
    expect(error.message).toMatch(/operator window#0: aggregate was "count@1", now "\{\\"n\\":count@1\}"/);
  });

  it('refuses a removed window unless its state is dropped explicitly, and then forgets it for good', async () => {
    // A second window on a branch of the timestamped stream, removed in the next version.
    const withSessions: Build = (s) =>
      timed(s)
        .branch((b) =>
          b
            .keyBy((r) => r.zone)
            .window(session(2000))
            .aggregate(max((r: Ride) => r.fare))
            .to(toArray()),
        )
        .dedup((r) => r.id, { within: '10s' })
        .keyBy((r) => r.zone)
        .window(tumbling(5000))
        .aggregate(count());
    await checkpointed(withSessions, state());
    const withoutSessions = base;
    const error = await refusal(run(withoutSessions, state()).job);
    expect(error.message).toMatch(/no longer has: b0\.0\/window#0 \(window assigner=session\(2000ms\)/);
    expect(error.message).toMatch(/allowDroppedState: \["b0\.0\/window#0"\]/);

    // Naming another operator does not drop this one.
    await refusal(run(withoutSessions, state(), { restore: { allowDroppedState: ['window#7'] } }).job);

    const { job } = run(withoutSessions, state(), { restore: { allowDroppedState: ['b0.0/window#0'] } });
    const dropped = await job;
    expect(dropped.restoredFrom).toBe(STOPPED_AT);
    // The run's checkpoints no longer hold the dropped state: a plain restart is accepted.
    const again = await run(withoutSessions, state()).job;
    expect(again.records).toBe(0);
  });

  it('.uid() keeps a window its state when an operator of its kind is added before it', async () => {
    const named: Build = (s) =>
      timed(s)
        .dedup((r) => r.id, { within: '10s' })
        .keyBy((r) => r.zone)
        .window(tumbling(5000))
        .uid('zone-5s')
        .aggregate(count());
    const whole = run(named, memoryState(), { credits: 8 });
    await whole.job;
    const before = await checkpointed(named, state());
    // A new window comes first: without uids it would now be window#0 and take the old window's state.
    const grown: Build = (s) =>
      timed(s)
        .branch((b) => b.window(tumbling(60_000)).aggregate(count()).to(toArray()))
        .dedup((r) => r.id, { within: '10s' })
        .keyBy((r) => r.zone)
        .window(tumbling(5000))
        .uid('zone-5s')
        .aggregate(count());
    const { job, out } = run(grown, state());
    expect((await job).restoredFrom).toBe(STOPPED_AT);
    expect(upsertById([...before, ...out.items])).toEqual(upsertById(whole.out.items));
  });

  it('refuses a changed dedup horizon and accumulation mode, and accepts a changed lateness and trigger', async () => {
    await checkpointed(base, state());
    const within = zones({ within: '20s' });
    expect((await refusal(run(within, state()).job)).message).toMatch(/operator dedup#0: within was "10000ms", now "20000ms"/);
    const mode = zones({ options: { mode: 'retracting' } });
    expect((await refusal(run(mode, state()).job)).message).toMatch(/mode was "accumulating", now "retracting"/);
    const unkeyed = zones({ keyed: false });
    expect((await refusal(run(unkeyed, state()).job)).message).toMatch(/keyed was "yes", now "no"/);
    const tuned = zones({ options: { allowedLateness: '2s', trigger: onWatermark({ early: afterCount(3) }) } });
    expect((await run(tuned, state()).job).restoredFrom).toBe(STOPPED_AT);
  });
});

describe('operator ids', () => {
  /** Counts records per partition in checkpointed state: a custom operator that keeps state. */
  class Tally implements Operator<Ride, Ride> {
    readonly name = 'tally';
    n = 0;
    constructor(readonly stateFingerprint?: Record<string, string>) {}
    processBatch(batch: Batch<Ride>, out: Output<Ride>): void {
      this.n += batch.values.length;
      out.emit(batch);
    }
    snapshotState(writer: StateWriter): void {
      writer.put('n', this.n);
    }
    restoreState(entries: Iterable<[string, unknown]>): void {
      for (const [k, v] of entries) if (k === 'n') this.n = v as number;
    }
  }

  it('are derived per kind and branch, named by .uid(), and used as metric labels', async () => {
    const ids = new Set<string>();
    const job = timed(from(fromArray(rides)))
      .process(() => new Tally())
      .branch((b) => b.window(tumbling(5000)).aggregate(count()).to(toArray()))
      .dedup((r) => r.id, { within: '1s' })
      .uid('rides-dedup')
      .keyBy((r) => r.zone)
      .window(tumbling(5000))
      .aggregate(count())
      .to(toArray())
      .run({ state: memoryState(), checkpointEvery: { records: 200 } });
    await job;
    for (const sample of job.metrics.snapshot()) if (sample.labels.operator) ids.add(sample.labels.operator);
    expect(ids).toContain('tally#0');
    expect(ids).toContain('b0.0/window#0');
    expect(ids).toContain('rides-dedup');
    expect(ids).toContain('window#0');
    expect(ids).toContain('0-withTimestamps');
  });

  it('checks .uid() where it is written', () => {
    const keyed = timed(from(fromArray(rides))).keyBy((r) => r.zone);
    expect(() => keyed.window(tumbling(1000)).uid('')).toThrow(TypeError);
    expect(() => keyed.window(tumbling(1000)).uid('a\nb')).toThrow(/control characters/);
    expect(() => keyed.window(tumbling(1000)).uid(42 as never)).toThrow(TypeError);
    expect(() => keyed.uid('k')).toThrow(PipelineError);
    expect(() => keyed.map((r) => r).uid('m')).toThrow(/map keeps none/);
    expect(() => from(fromArray(rides)).uid('x')).toThrow(PipelineError);
    expect(() => keyed.window(tumbling(1000)).uid('a').uid('b')).toThrow(/already has the id "a"/);
    // After .aggregate() it names the window too, and after .process() a custom operator that keeps state.
    expect(() => keyed.window(tumbling(1000)).aggregate(count()).uid('w')).not.toThrow();
    expect(() => keyed.process(() => new Tally()).uid('t')).not.toThrow();
  });

  it('refuses one id on two operators when the job starts', async () => {
    const stream = timed(from(fromArray(rides)))
      .dedup((r) => r.id, { within: '1s' })
      .uid('same')
      .window(tumbling(1000))
      .uid('same')
      .aggregate(count())
      .to(toArray());
    await expect(stream.run()).rejects.toThrow(/operator id "same" is used twice/);
  });

  it('compares a custom operator by its kind and the fingerprint it declares', async () => {
    const build = (fingerprint?: Record<string, string>) =>
      timed(from(fromArray(rides, { batchSize: 50 })))
        .process(() => new Tally(fingerprint))
        .to(toArray());
    const state = memoryState();
    const job = build({ version: '1' }).run({
      state,
      checkpointEvery: { records: 100 },
      credits: 1,
      onEvent: (e) => e.type === 'checkpoint.completed' && e.id === 2 && job.stop(),
    });
    await job;
    const error = await build({ version: '2' })
      .run({ state })
      .then(
        () => undefined,
        (e: unknown) => e as StateError,
      );
    expect(error?.message).toMatch(/operator tally#0: version was "1", now "2"/);
    const last = state.lastCheckpointId;
    expect((await build({ version: '1' }).run({ state })).restoredFrom).toBe(last);
  });

  it('checks the restore option where it is given', () => {
    const stream = timed(from(fromArray(rides))).to(toArray());
    expect(() => stream.run({ restore: { allowDroppedState: 'yes' as never } })).toThrow(
      /allowDroppedState must be true, false or an array/,
    );
    expect(() => stream.run({ restore: { dropState: true } as never })).toThrow(/unknown option "dropState"/);
  });

  it('describes aggregators: built-ins by name, user ones by name and version, anonymous ones by their accumulator', async () => {
    const { aggregatorIdentity } = await import('../../src/windowing/aggregators/index.js');
    const p95: Aggregator<number, number[], number> = {
      name: 'p95',
      version: 2,
      create: () => [],
      add: (a, x) => (a.push(x), a),
      merge: (a, b) => a.concat(b),
      result: (a) => a[0],
    };
    const anonymous: Aggregator<number, { sum: number; n: number }, number> = {
      create: () => ({ sum: 0, n: 0 }),
      add: (a, x) => ({ sum: a.sum + x, n: a.n + 1 }),
      merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
      result: (a) => a.sum / a.n,
    };
    expect(aggregatorIdentity(count())).toBe('count@1');
    // A decimal sum keeps units of its scale, not the exact sum's parts: each scale is its own state.
    expect(aggregatorIdentity(sum((x: number) => x))).toBe('sum@1');
    expect(aggregatorIdentity(sum((x: number) => x, { scale: 2 }))).toBe('sum(scale=2)@1');
    expect(aggregatorIdentity(sum((x: number) => x, { scale: 3 }))).toBe('sum(scale=3)@1');
    expect(aggregatorIdentity(p95)).toBe('p95@2');
    expect(aggregatorIdentity(anonymous)).toBe('anonymous({"n":number,"sum":number})');
    const keyed = timed(from(fromArray(rides)))
      .keyBy((r) => r.zone)
      .window(tumbling(1000));
    expect(() => keyed.aggregate({ ...p95, version: 0 } as never)).toThrow(/version must be a positive integer/);
    expect(() => keyed.aggregate({ bad: { ...p95, name: '' } } as never)).toThrow(/combineAggregators: 'bad': the aggregator's name/);
  });
});
