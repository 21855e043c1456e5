import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../src/core/metric-catalogue.js';
import { Metrics } from '../../src/core/metrics.js';
import { DEFAULT_WATERMARK_STEP, type Operator, type Output } from '../../src/core/operator.js';
import type { Sink } from '../../src/core/sink.js';
import type { StateBackend } from '../../src/core/state-backend.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { from, union, type Stream } from '../../src/pipeline/stream.js';
import { valueState, type ValueStateDescriptor } from '../../src/process/index.js';
import { setWatermarkStepSize } from '../../src/runtime/watermark-steps.js';
import { toArray } from '../../src/sinks/index.js';
import { fromArray } from '../../src/sources/index.js';
import { inspectLevelState, levelState } from '../../src/state/level-state.js';
import { memoryState } from '../../src/state/memory-state.js';
import { keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { boundedOutOfOrderness } from '../../src/watermarks/index.js';
import { afterCount, count, global, hopping, onWatermark, session, sliding, tumbling } from '../../src/windowing/index.js';
import type { AccumulationMode, Aggregator, Trigger, WindowAssigner } from '../../src/windowing/types.js';
import { seqs } from '../property/window-driver.js';

const KINDS = ['session', 'tumbling', 'hopping', 'sliding', 'global'] as const;
/**
 * How the windows sit in the pipeline (alone, followed by more windows, in branches, before a
 * union), or a process function, or an outer interval join.
 */
const SHAPES = ['window', 'chained', 'branches', 'union', 'process', 'join'] as const;
const TRIGGERS: Trigger[] = [onWatermark(), onWatermark({ early: afterCount(2), late: afterCount(1) }), afterCount(2)];

const job = fc.record({
  shape: fc.constantFrom(...SHAPES),
  kind: fc.constantFrom(...KINDS),
  delay: fc.integer({ min: 0, max: 20 }),
  lateness: fc.integer({ min: 0, max: 30 }),
  gap: fc.integer({ min: 1, max: 60 }),
  sample: keyedEvents({
    keys: 8,
    timeRange: [0, 600],
    maxDisorder: 20,
    minLength: 5,
    maxLength: 80,
    late: { fraction: 0.1, maxExtraDelay: 60 },
  }),
  batchSize: fc.integer({ min: 1, max: 16 }),
  trigger: fc.integer({ min: 0, max: TRIGGERS.length - 1 }),
  mode: fc.constantFrom<AccumulationMode>('accumulating', 'discarding', 'retracting'),
  resident: fc.boolean(),
  checkpointEvery: fc.integer({ min: 1, max: 20 }),
  step: fc.constantFrom(1, 2, 3, 7),
});
type Job = typeof job extends fc.Arbitrary<infer J> ? J : never;
/** {@link job}, under a name no test shadows. */
const jobs = job;

function assignerOf(p: Job): { assigner: WindowAssigner; trigger: Trigger } {
  const trigger = TRIGGERS[p.trigger];
  switch (p.kind) {
    case 'session':
      return { assigner: session(p.gap), trigger };
    case 'tumbling':
      return { assigner: tumbling(p.gap), trigger };
    case 'hopping':
      return { assigner: hopping(3 * p.gap, p.gap), trigger };
    case 'sliding':
      return { assigner: sliding(p.gap), trigger };
    default:
      return { assigner: global(), trigger: afterCount(1 + p.trigger) };
  }
}

function resultLine(r: WindowResult<unknown, unknown>): string {
  return `${r.id} ${String(r.key)} [${r.window.start},${r.window.end}) ${JSON.stringify(r.value)} ${r.pane.index} ${r.pane.timing}${r.retraction ? ' retraction' : ''}`;
}

function lateLine(l: LateRecord<KeyedEvent>): string {
  return `${l.record.seq} [${l.window.start},${l.window.end}) ${l.watermark}`;
}

/** The job's input, timestamped (one of the two halves for a union). */
function input(p: Job, part?: 0 | 1): Stream<KeyedEvent, null> {
  const events = part === undefined ? p.sample.arrival : p.sample.arrival.filter((e) => e.seq % 2 === part);
  return from(fromArray(events, { batchSize: p.batchSize })).withTimestamps((e) => e.time, boundedOutOfOrderness(p.delay));
}

/** The job's windows over `stream`, keyed by the event's key. */
function windows(p: Job, stream: Stream<KeyedEvent, null>, late: ReturnType<typeof toArray<LateRecord<KeyedEvent>>>) {
  const { assigner, trigger } = assignerOf(p);
  return stream
    .keyBy((e) => e.key)
    .window(assigner, { trigger, allowedLateness: p.lateness, mode: p.mode })
    .aggregate(seqs)
    .late(late);
}

/** The results of earlier windows, per key, in windows of 50 ms of their end, in the order they came. */
function downstreamWindows(results: Stream<WindowResult<string, number[]>, any>) {
  return results
    .keyBy((r) => r.key)
    .window(tumbling(50))
    .aggregate(arrivalOrder);
}

/** The ids of a window's results in the order they came. */
const arrivalOrder: Aggregator<WindowResult<string, number[]>, string[], string> = {
  create: () => [],
  add: (ids, r) => [...ids, r.id.slice(0, 6)],
  merge: (a, b) => [...a, ...b],
  result: (ids) => ids.join(','),
};

/** An alert per key when no event came for `gap` ms: an event-time timer per event, and state. */
function alerts(p: Job, stream: Stream<KeyedEvent, null>) {
  return stream
    .keyBy((e) => e.key)
    .process<{ seen: ValueStateDescriptor<number> }, string>({
      state: { seen: valueState<number>() },
      onRecord(e, ctx) {
        ctx.state.seen.set((ctx.state.seen.get() ?? 0) + 1);
        ctx.timers.atEventTime(e.time + p.gap);
      },
      onTimer(time, ctx) {
        ctx.emit(`${String(ctx.key)}@${time}:${ctx.state.seen.get()}`);
        if (time % 3 === 0) ctx.timers.atEventTime(time + 1);
      },
    });
}

/** Runs the job with the given step size; its results and late records as lines, in the order they came. */
async function run(p: Job, step: number, state: StateBackend): Promise<string[]> {
  setWatermarkStepSize(step);
  const out = toArray<unknown>();
  const second = toArray<unknown>();
  const late = toArray<LateRecord<KeyedEvent>>();
  let stream: Stream<any, any>;
  switch (p.shape) {
    case 'window':
      stream = windows(p, input(p), late);
      break;
    case 'chained':
      stream = downstreamWindows(windows(p, input(p), late));
      break;
    case 'process':
      stream = alerts(p, input(p));
      break;
    case 'join':
      // An outer join emits the records that met no partner when the watermark evicts them.
      stream = input(p, 0)
        .keyBy((e) => e.key)
        .join(
          input(p, 1).keyBy((e) => e.key),
          { within: p.gap, kind: 'outer', allowedLateness: p.lateness },
          (a, b) => `${a?.seq ?? '-'}+${b?.seq ?? '-'}`,
        );
      break;
    case 'branches':
      // Each sink of each branch gets its results in the same order. (The order across the
      // branches' sinks is a matter of when each is drained, as it is with another batch size.)
      stream = input(p).branch(
        (s) => windows(p, s, late).to(out),
        (s) => windows({ ...p, kind: 'session' }, s, late).to(second),
      );
      break;
    default:
      // The union's results in the order they came, and windows over them.
      stream = union(windows(p, input(p, 0), late), windows(p, input(p, 1), late)).branch((s) => downstreamWindows(s).to(second));
  }
  await stream.to(out).run({ state, checkpointEvery: { records: p.checkpointEvery } });
  const lines = (items: unknown[]) =>
    items.map((r) => {
      if (typeof r === 'string') return r;
      // The branches' input itself goes to the first sink.
      if ('seq' in (r as object)) return `event ${(r as KeyedEvent).seq}`;
      return resultLine(r as WindowResult<unknown, unknown>);
    });
  return [...lines(out.items), ...lines(second.items).map((l) => `second ${l}`), ...late.items.map((l) => `late ${lateLine(l)}`)];
}

let root: string;
let runs = 0;
const nextDir = (): string => join(root, `run-${++runs}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'streamkit-watermark-steps-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => setWatermarkStepSize(undefined));

describe('a watermark worked through in steps', () => {
  it('gives the same results, ids, panes and late records, in the same order, as in one step: windows of every kind, chained, in branches and around a union, process functions, outer joins; heap and resident state', async () => {
    let withResults = 0;
    await fc.assert(
      fc.asyncProperty(job, async (p) => {
        const state = () => (p.resident ? levelState(nextDir(), { memory: 1024 }) : memoryState());
        const whole = await run(p, Infinity, state());
        // Global windows end at the edge of time: windows after them get dead letters only.
        if (whole.length > 0) withResults++;
        expect(await run(p, p.step, state())).toEqual(whole);
      }),
      { numRuns: 150 },
    );
    expect(withResults).toBeGreaterThan(110);
  });
});

/**
 * Sessions of 10 s over `events`, into `sink`, raising `stop` (when given) once the first results
 * are written: a stop asked for in the middle of the first watermark that fires sessions.
 */
function sessionsStoppingAtFirstResults(
  events: Array<{ key: number; at: number }>,
  sink: Sink<WindowResult<number, number>>,
  stop?: AbortController,
) {
  return from(fromArray(events, { batchSize: 100 }))
    .withTimestamps((e) => e.at, boundedOutOfOrderness(0))
    .keyBy((e) => e.key)
    .window(session(10_000))
    .aggregate(count())
    .to({
      name: 'stops-at-first-results',
      write: async (items: WindowResult<number, number>[]) => {
        await sink.write(items);
        stop?.abort();
      },
    });
}

/** Events of `keys` keys, each key once, all in one session gap: every session fires at the end of the input. */
function oneEventPerKey(keys: number, from = 0): Array<{ key: number; at: number }> {
  return Array.from({ length: keys }, (_, i) => ({ key: from + i, at: from + (i % 1000) }));
}

describe('memory while a large watermark is worked through', () => {
  const KEYS = 50_000;
  const BATCH = 512;
  const CREDITS = 2;

  /**
   * Runs sessions over {@link KEYS} keys to the end of the input and returns the most results the
   * window had emitted and the sink not yet written, seen at each write: what the job held.
   */
  async function mostHeld(state?: StateBackend): Promise<{ held: number; results: number }> {
    const metrics = new Metrics();
    let written = 0;
    let held = 0;
    const sink: Sink<unknown> = {
      name: 'observer',
      write: async (items) => {
        held = Math.max(held, metrics.get(METRICS.recordsOut, { operator: 'window#0' }) - written);
        written += items.length;
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
    await from(fromArray(oneEventPerKey(KEYS), { batchSize: BATCH }))
      .withTimestamps((e) => e.at, boundedOutOfOrderness('1h'))
      .keyBy((e) => e.key)
      .window(session('1h'))
      .aggregate(count())
      .to(sink)
      .run({ batchSize: BATCH, credits: CREDITS, metrics: { registry: metrics }, ...(state ? { state, checkpointEvery: '1h' } : {}) });
    return { held, results: written };
  }

  it('holds about one step of results, not every session, when 50k sessions fire at the end of the input (heap and resident state)', async () => {
    // What the job may hold: a step, the chunks the channel's credits admit, and the chunk being written.
    const bound = DEFAULT_WATERMARK_STEP + (CREDITS + 1) * BATCH;
    for (const state of [undefined, levelState(nextDir(), { memory: '4MB' })]) {
      const stepped = await mostHeld(state);
      expect(stepped.results).toBe(KEYS);
      expect(stepped.held).toBeLessThanOrEqual(bound);
      expect(stepped.held).toBeGreaterThan(0);
    }
    // In one step, every session's result waits for the first write.
    setWatermarkStepSize(Infinity);
    const whole = await mostHeld();
    expect(whole.results).toBe(KEYS);
    expect(whole.held).toBe(KEYS);
  }, 60_000);
});

describe('changes of state on disk while a large watermark is worked through', () => {
  it('holds no change per key for tumbling windows that the same watermark fires and expires: their states go as a range', async () => {
    const KEYS = 20_000;
    const metrics = new Metrics();
    let pending = 0;
    let written = 0;
    await from(fromArray(oneEventPerKey(KEYS), { batchSize: 500 }))
      .withTimestamps((e) => e.at, boundedOutOfOrderness('1h'))
      .keyBy((e) => e.key)
      .window(tumbling('1h'))
      .aggregate(count())
      .to({
        name: 'observer',
        write: async (items: unknown[]) => {
          pending = Math.max(pending, metrics.get(METRICS.statePendingBytes));
          written += items.length;
        },
      })
      // Checkpoints while the records come: every key's state is on disk, clean, when the end fires them.
      .run({ state: levelState(nextDir(), { memory: '64MB' }), checkpointEvery: { records: 500 }, metrics: { registry: metrics } });
    expect(written).toBe(KEYS);
    // Firing 20k windows changed no state: what was pending while their results were written is at
    // most a batch's worth of changes, not one per key.
    expect(pending).toBeLessThan(500 * 400);
  }, 60_000);
});

describe('checkpoints and stops while a large watermark is worked through', () => {
  /** 3,000 keys' sessions, then a batch that makes the watermark jump and fire them all, then another. */
  const EVENTS = [...oneEventPerKey(3000), ...oneEventPerKey(100, 1_000_000), ...oneEventPerKey(100, 2_000_000)];
  // The first results come from the jump's first step: the stop is asked for in the middle of it.
  const job = (stop: AbortController | undefined, sink: Sink<WindowResult<number, number>>) =>
    sessionsStoppingAtFirstResults(EVENTS, sink, stop);
  const line = (r: WindowResult<number, number>) => `${r.id} ${r.key} ${r.window.start} ${r.value}`;

  for (const memory of [undefined, 1024] as const) {
    const where = memory === undefined ? 'heap state: once the watermark is done' : 'sessions on disk: at the next step';
    it(`a stop asked for in the middle of it lands where a checkpoint can hold it (${where}), and the job resumes as if never stopped (a checkpoint due every batch)`, async () => {
      setWatermarkStepSize(50);
      const whole = toArray<WindowResult<number, number>>();
      await job(undefined, whole).run();
      const dir = nextDir();
      const state = () => levelState(dir, memory === undefined ? {} : { memory });
      const first = toArray<WindowResult<number, number>>();
      const stop = new AbortController();
      const checkpoints: number[] = [];
      const stopped = await job(stop, first).run({
        state: state(),
        checkpointEvery: { records: 1 },
        credits: 1,
        batchSize: 25,
        signal: stop.signal,
        onEvent: (e) => e.type === 'checkpoint.completed' && checkpoints.push(e.id),
      });
      expect(stopped.stopped).toBe(true);
      expect(first.items.every((r) => r.window.end < 1_000_000)).toBe(true);
      if (memory === undefined) {
        // Every session the jump fired was emitted before the stop's checkpoint, none of the later ones.
        expect(first.items.length).toBe(3000);
        expect(checkpoints.length).toBeGreaterThan(1);
      } else {
        // The stop's checkpoint came a step or two into the jump's 3,000 sessions.
        expect(first.items.length).toBeGreaterThan(0);
        expect(first.items.length).toBeLessThanOrEqual(150);
      }
      const second = toArray<WindowResult<number, number>>();
      await job(undefined, second).run({ state: state(), checkpointEvery: { records: 1 } });
      expect([...first.items, ...second.items].map(line)).toEqual(whole.items.map(line));
    });
  }
});

describe('checkpoints between the steps of a watermark over windows on disk', () => {
  /**
   * 3,000 keys' windows; a batch whose watermark jump fires them all (within their allowed
   * lateness); late records for the 100 keys it fires last, which make late panes only if the
   * jump's firing is finished first; then the end of their lateness.
   */
  const LATE = Array.from({ length: 100 }, (_, i) => ({ key: 2900 + i, at: 900 + i }));
  const EVENTS = [...oneEventPerKey(3000), ...oneEventPerKey(100, 20_000), ...LATE, ...oneEventPerKey(100, 2_000_000)];
  type Result = WindowResult<number, number>;
  const line = (r: Result) => `${r.id} ${r.key} ${r.window.start} ${r.pane.timing} ${r.value}`;
  /** How many results the jump fired: the on-time panes of the first 3,000 keys, which come first. */
  const jumpResultsOf = (results: Result[]) => results.filter((r) => r.key < 3000 && r.pane.timing === 'on-time').length;

  /**
   * The job, writing to `sink`. Its sink fails the job once it has written `failAt` results, and
   * `onCheckpoint` hears how many results were written when each checkpoint completed.
   */
  const job = (kind: 'session' | 'sliding' | 'tumbling', sink: Sink<Result>, failAt = Infinity) => {
    let written = 0;
    const stream = from(fromArray(EVENTS, { batchSize: 100 }))
      .withTimestamps((e) => e.at, boundedOutOfOrderness(0))
      .keyBy((e) => e.key)
      .window(kind === 'session' ? session(10_000) : kind === 'sliding' ? sliding(10_000) : tumbling(10_000), { allowedLateness: 100_000 })
      .aggregate(count())
      .to({
        name: 'fails-after',
        write: async (items: Result[]) => {
          if (written + items.length > failAt) throw new Error(`sink failed after ${failAt} results`);
          written += items.length;
          await sink.write(items);
        },
      });
    return { stream, written: () => written };
  };

  for (const kind of ['session', 'sliding'] as const) {
    it(`are taken when the state's changes fill the budget, and a job that fails after one finishes the watermark from it: the results are those of a run never interrupted (${kind} windows)`, async () => {
      setWatermarkStepSize(50);
      const whole = toArray<Result>();
      await job(kind, whole).stream.run();
      const jumpResults = jumpResultsOf(whole.items);
      expect(jumpResults).toBeGreaterThanOrEqual(3000);
      expect(whole.items.filter((r) => r.pane.timing === 'late').length).toBeGreaterThanOrEqual(100);

      const dir = nextDir();
      const first = toArray<Result>();
      // Fails in the middle of the jump's results.
      const failing = job(kind, first, Math.floor(jumpResults * 0.8));
      const writtenAt = new Map<number, number>();
      await expect(
        failing.stream.run({
          state: levelState(dir, { memory: 1024 }),
          checkpointEvery: '1h',
          // A tick due after every batch: it must not keep checkpoints out of the watermark's steps.
          tickInterval: 1,
          onEvent: (e) => e.type === 'checkpoint.completed' && writtenAt.set(e.id, failing.written()),
        }),
      ).rejects.toThrow(/sink failed/);
      // Checkpoints came between the jump's first and last results (only memory asks for them here).
      const midWatermark = [...writtenAt.values()].filter((n) => n > 0 && n < jumpResults);
      expect(midWatermark.length).toBeGreaterThan(1);
      const last = Math.max(...writtenAt.keys());
      const before = writtenAt.get(last)!;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(jumpResults);
      // Sessions fire the whole jump in one watermark, so their last checkpoint is inside it: written
      // as format 3, which a streamkit that cannot finish the watermark refuses. (Sliding windows
      // fire later windows of the same keys at later watermarks, so theirs may fall between two.)
      if (kind === 'session') expect((await inspectLevelState(dir))?.formatVersion).toBe(3);

      const second = toArray<Result>();
      const resumed = await job(kind, second).stream.run({ state: levelState(dir, { memory: 1024 }), checkpointEvery: '1h' });
      expect(resumed.restoredFrom).toBe(last);
      // The restore finished the watermark where the checkpoint left it: nothing lost, nothing twice.
      expect([...whole.items.slice(0, before), ...second.items].map(line)).toEqual(whole.items.map(line));
      // Its last checkpoint left nothing unfinished: back to format 2.
      expect((await inspectLevelState(dir))?.formatVersion).toBe(2);
    });
  }

  it('hold a stop asked for in the middle of the last watermark: the run ends stopped, and the next one finishes the windows it had not fired', async () => {
    setWatermarkStepSize(50);
    const sessions = (sink: Sink<Result>, stop?: AbortController) => sessionsStoppingAtFirstResults(oneEventPerKey(3000), sink, stop);
    const whole = toArray<Result>();
    await sessions(whole).run();
    const dir = nextDir();
    const first = toArray<Result>();
    const stop = new AbortController();
    const stopped = await sessions(first, stop).run({
      state: levelState(dir, { memory: 1024 }),
      checkpointEvery: '1h',
      credits: 1,
      signal: stop.signal,
    });
    expect(stopped.stopped).toBe(true);
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.items.length).toBeLessThan(3000);
    const second = toArray<Result>();
    const finished = await sessions(second).run({ state: levelState(dir, { memory: 1024 }), checkpointEvery: '1h' });
    expect(finished.stopped).toBe(false);
    expect(finished.records).toBe(0);
    expect([...first.items, ...second.items].map(line)).toEqual(whole.items.map(line));
  });

  it('restore a job that failed anywhere to the results of a run never interrupted: random session and sliding windows, triggers, modes, steps and checkpoints, alone or before more windows (property)', async () => {
    let restoredMidWatermark = 0;
    const crash = fc.record({
      p: jobs.map((p) => ({ ...p, shape: p.shape === 'chained' ? ('chained' as const) : ('window' as const), resident: true })),
      kind: fc.constantFrom('session' as const, 'sliding' as const),
      failAt: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(crash, async ({ p: base, kind, failAt }) => {
        const p = { ...base, kind };
        setWatermarkStepSize(p.step);
        // Counts the source's polls: results written before the first come from a restored watermark.
        let polls = 0;
        const make = (sink: Sink<unknown>) => {
          const source = fromArray(p.sample.arrival, { batchSize: p.batchSize });
          const counted: typeof source = { ...source, poll: () => (polls++, source.poll()) };
          const late = toArray<LateRecord<KeyedEvent>>();
          const results = windows(
            p,
            from(counted).withTimestamps((e) => e.time, boundedOutOfOrderness(p.delay)),
            late,
          );
          return (p.shape === 'chained' ? downstreamWindows(results) : results).to(sink);
        };
        const whole = toArray<WindowResult<unknown, unknown>>();
        await make(whole).run();
        const lines = whole.items.map(resultLine);
        const limit = Math.floor(failAt * lines.length);
        if (limit >= lines.length) return;

        const dir = nextDir();
        let written = 0;
        let midWatermark = false;
        const writtenAt = new Map<number, number>();
        const first = toArray<WindowResult<unknown, unknown>>();
        const failing: Sink<WindowResult<unknown, unknown>> = {
          name: 'fails-after',
          write: async (items) => {
            if (written + items.length > limit) throw new Error('sink failed');
            written += items.length;
            await first.write(items);
          },
        };
        await expect(
          make(failing).run({
            state: levelState(dir, { memory: 1024 }),
            checkpointEvery: { records: p.checkpointEvery },
            onEvent: (e) => e.type === 'checkpoint.completed' && writtenAt.set(e.id, written),
          }),
        ).rejects.toThrow('sink failed');
        const last = writtenAt.size === 0 ? undefined : Math.max(...writtenAt.keys());
        const before = last === undefined ? 0 : writtenAt.get(last)!;
        const second = toArray<WindowResult<unknown, unknown>>();
        polls = 0;
        const resumed = await make({
          name: 'second',
          write: async (items: WindowResult<unknown, unknown>[]) => {
            if (second.items.length === 0 && polls === 0) midWatermark = true;
            await second.write(items);
          },
        }).run({ state: levelState(dir, { memory: 1024 }), checkpointEvery: { records: p.checkpointEvery } });
        expect(resumed.restoredFrom).toBe(last);
        if (midWatermark) restoredMidWatermark++;
        expect([...lines.slice(0, before), ...second.items.map(resultLine)]).toEqual(lines);
      }),
      { numRuns: 80 },
    );
    // Some restores began with the rest of a watermark the checkpoint was taken in the middle of.
    expect(restoredMidWatermark).toBeGreaterThan(3);
  });

  it('are not taken for tumbling windows, whose steps may end in the middle of a window’s keys; the job still gives every result', async () => {
    setWatermarkStepSize(50);
    const whole = toArray<Result>();
    await job('tumbling', whole).stream.run();
    const jumpResults = jumpResultsOf(whole.items);
    const out = toArray<Result>();
    const running = job('tumbling', out);
    const writtenAt: number[] = [];
    await running.stream.run({
      state: levelState(nextDir(), { memory: 1024 }),
      checkpointEvery: '1h',
      onEvent: (e) => e.type === 'checkpoint.completed' && writtenAt.push(running.written()),
    });
    expect(writtenAt.filter((n) => n > 0 && n < jumpResults)).toEqual([]);
    expect(out.items.map(line)).toEqual(whole.items.map(line));
  });
});

describe('a custom operator that works through a watermark in steps', () => {
  /** Emits `total` records at the end of the input, `ctx.watermarkStep` of them per step. */
  function endBurst(total: number, continues = true): Operator<unknown, number> {
    let step = DEFAULT_WATERMARK_STEP;
    let sent = 0;
    let until = -Infinity;
    const op: Operator<unknown, number> = {
      name: 'endBurst',
      open: (ctx) => (step = ctx.watermarkStep ?? step),
      processBatch: () => undefined,
      processWatermark: (time, out) => {
        if (time !== Infinity) {
          out.watermark(time);
          return true;
        }
        until = time;
        return continues ? op.continueWatermark!(out) : false;
      },
    };
    if (continues) {
      op.continueWatermark = (out) => {
        const n = Math.min(step, total - sent);
        out.emit({ values: Array.from({ length: n }, (_, i) => sent + i), positions: new Array<number>(n).fill(-1), partition: 0 });
        sent += n;
        if (sent < total) return false;
        out.watermark(until);
        return true;
      };
    }
    return op;
  }

  /** Passes records on and notes, in order, each batch's size and each watermark. */
  function timeline(seen: string[]): Operator {
    return {
      name: 'timeline',
      processBatch: (batch, out: Output) => {
        seen.push(`${batch.values.length} records`);
        out.emit(batch);
      },
      processWatermark: (time, out: Output) => {
        seen.push(`watermark ${time}`);
        out.watermark(time);
      },
    };
  }

  it('gets ctx.watermarkStep, is continued until done, and its watermark goes on only then; the sink gets every record', async () => {
    setWatermarkStepSize(100);
    const seen: string[] = [];
    const out = toArray<number>();
    let writes = 0;
    await from(fromArray([{ at: 1 }]))
      .withTimestamps((e) => e.at, boundedOutOfOrderness(0))
      .process(() => endBurst(1050))
      .process(() => timeline(seen))
      .to({ write: (items: number[]) => void (writes++, out.write(items)) })
      .run();
    expect(out.items).toEqual(Array.from({ length: 1050 }, (_, i) => i));
    expect(seen).toEqual(['watermark 0', ...Array.from({ length: 10 }, () => '100 records'), '50 records', 'watermark Infinity']);
    // A drain after every step: the records reach the sink in 11 writes, not one.
    expect(writes).toBe(11);
  });

  it('fails the job, naming the operator, when processWatermark returns false without a continueWatermark', async () => {
    const job = from(fromArray([{ at: 1 }]))
      .withTimestamps((e) => e.at, boundedOutOfOrderness(0))
      .process(() => endBurst(10, false))
      .to(toArray())
      .run();
    await expect(job).rejects.toThrow(/operator 1-endBurst returned false from processWatermark but has no continueWatermark/);
  });
});
