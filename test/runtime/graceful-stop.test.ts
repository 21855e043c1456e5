import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../src/core/batch.js';
import { StreamkitError } from '../../src/core/errors.js';
import type { Sink } from '../../src/core/sink.js';
import type { Source, SourceContext, SourcePoll } from '../../src/core/source.js';
import type { WindowResult } from '../../src/core/window.js';
import { createLogger } from '../../src/observability/logger.js';
import { from } from '../../src/pipeline/stream.js';
import type { RunOptions, RuntimeEvent } from '../../src/runtime/runtime.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { readLevelTable, toLevel } from '../../src/sinks/level-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { levelState } from '../../src/state/level-state.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { METRICS } from '../../src/core/metric-catalogue.js';

interface Event {
  id: string;
  key: string;
  t: number;
  v: number;
}

type Result = WindowResult<string, { n: number; total: number }>;

// 2,000 events, 5 keys, 10 ms apart with up to 400 ms of disorder; every 20th redelivers the one before.
const events: Event[] = [];
for (let i = 0; i < 2000; i++) {
  const id = i % 20 === 19 ? `e${i - 1}` : `e${i}`;
  events.push({ id, key: `k${i % 5}`, t: 1_700_000_000_000 + i * 10 - ((i * 131) % 400), v: (i % 13) - 6 });
}

function pipeline(source: Source<Event>, sink: Sink<Result>) {
  return from(source)
    .withTimestamps((e) => e.t, boundedOutOfOrderness(500))
    .dedup((e) => e.id, { within: '5s' })
    .keyBy((e) => e.key)
    .window(tumbling(1000), { allowedLateness: 300 })
    .aggregate({ n: count(), total: sum((e: Event) => e.v) })
    .to(sink);
}

const run = (sink: Sink<Result>, options: RunOptions = {}, input: Event[] = events) =>
  pipeline(fromArray(input, { batchSize: 20 }), sink).run(options);

function upsertById(items: Result[]): Map<string, Result> {
  const out = new Map<string, Result>();
  for (const item of items) out.set(item.id, item);
  return out;
}

/** The results of a run that was never stopped. */
async function uninterrupted(): Promise<Map<string, Result>> {
  const out = toArray<Result>();
  await run(out);
  return upsertById(out.items);
}

describe('graceful stop', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-stop-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('job.stop() with memory state: a final checkpoint, windows not fired, and the restart replays nothing', async () => {
    const expected = await uninterrupted();
    const state = memoryState();
    const first = toArray<Result>();
    const eventsOfFirst: RuntimeEvent[] = [];
    const job = run(first, {
      state,
      credits: 1,
      checkpointEvery: { records: 200 },
      onEvent: (e) => {
        eventsOfFirst.push(e);
        if (e.type === 'checkpoint.completed' && e.id === 2) void job.stop();
      },
    });
    const stopped = await job;
    expect(stopped.stopped).toBe(true);
    expect(stopped.records).toBeGreaterThan(0);
    expect(stopped.records).toBeLessThan(events.length);
    // The stop's own checkpoint comes last, after the stop request; the state holds it.
    const types = eventsOfFirst.map((e) => e.type);
    // After the stop request only checkpoints complete (one already under way, then the final one), then the job ends.
    expect(types.slice(types.indexOf('job.stopping')).join(' ')).toMatch(/^job\.stopping( checkpoint\.completed)+ job\.finished$/);
    expect(eventsOfFirst.find((e) => e.type === 'job.stopping')).toEqual({ type: 'job.stopping', reason: 'stop()' });
    const finalId = (eventsOfFirst.filter((e) => e.type === 'checkpoint.completed').at(-1) as { id: number }).id;
    expect(state.lastCheckpointId).toBe(finalId);
    // No window fired early: every result was due under the watermark the stop left.
    const watermark = job.metrics.get(METRICS.watermark, { operator: '0-withTimestamps' }) * 1000;
    expect(first.items.length).toBeGreaterThan(0);
    for (const r of first.items) expect(r.window.end - 1).toBeLessThanOrEqual(watermark);

    const second = toArray<Result>();
    const resumed = await run(second, { state, checkpointEvery: { records: 200 } });
    expect(resumed.restoredFrom).toBe(finalId);
    expect(resumed.records).toBe(events.length - stopped.records);
    expect(upsertById([...first.items, ...second.items])).toEqual(expected);
    // Nothing was produced twice either: the restart resumed exactly where the stop left off.
    expect(first.items.length + second.items.length).toBe(expected.size);
  });

  it('job.stop() with LevelDB state and a LevelDB table: the restart replays nothing and the table equals an uninterrupted run', async () => {
    const expected = await uninterrupted();
    const stateDir = join(root, 'state');
    const tableDir = join(root, 'table');
    const table = toLevel<Result>(tableDir);
    let written = 0;
    // The sink asks for the stop itself, once some windows have fired.
    const stopping: Sink<Result> = {
      name: 'stopping',
      open: () => table.open?.(),
      write: async (items) => {
        await table.write(items);
        written += items.length;
        if (written >= 30) void job.stop();
      },
      flush: () => table.flush?.(),
      close: () => table.close?.(),
    };
    const job = run(stopping, { state: levelState(stateDir), credits: 1, checkpointEvery: { records: 300 } });
    const stopped = await job;
    expect(stopped.stopped).toBe(true);
    expect(stopped.records).toBeLessThan(events.length);

    const resumed = await run(toLevel(tableDir), { state: levelState(stateDir), checkpointEvery: { records: 300 } });
    expect(resumed.restoredFrom).toBe(stopped.checkpoints);
    expect(resumed.records).toBe(events.length - stopped.records);
    const actual = await readLevelTable<Result>(tableDir);
    expect(actual).toEqual(new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1))));
  });

  it('run({ signal }): aborting stops the job like stop(), with a final checkpoint', async () => {
    const expected = await uninterrupted();
    const state = memoryState();
    const controller = new AbortController();
    const reasons: string[] = [];
    const first = toArray<Result>();
    const stopped = await run(first, {
      state,
      credits: 1,
      checkpointEvery: { records: 100 },
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'checkpoint.completed' && e.id === 3) controller.abort();
        if (e.type === 'job.stopping') reasons.push(e.reason);
      },
    });
    expect(stopped.stopped).toBe(true);
    expect(reasons).toEqual(['abort signal']);
    const second = toArray<Result>();
    const resumed = await run(second, { state });
    expect(resumed.records).toBe(events.length - stopped.records);
    expect(upsertById([...first.items, ...second.items])).toEqual(expected);
  });

  it('a signal aborted before the run: nothing is read, and a checkpoint keeps the restored position', async () => {
    const state = memoryState();
    const controller = new AbortController();
    controller.abort();
    const summary = await run(toArray<Result>(), { state, signal: controller.signal });
    expect(summary).toMatchObject({ records: 0, stopped: true, checkpoints: 1 });
    const all = await run(toArray<Result>(), { state });
    expect(all.records).toBe(events.length);
  });

  it('without state: sinks are flushed, nothing is checkpointed, and stop() resolves with the summary', async () => {
    let flushes = 0;
    const out = toArray<Result>();
    const sink: Sink<Result> = { name: 'counting', write: (items) => out.write(items), flush: () => void flushes++ };
    const job = run(sink, { credits: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const summary = await job.stop();
    expect(summary.stopped || summary.records === events.length).toBe(true);
    expect(summary.checkpoints).toBe(0);
    expect(flushes).toBe(1);
    // stop() again, after the end, is the same settled job.
    expect(await job.stop()).toBe(summary);
  });

  it('logs the stop request', async () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l), clock: () => 0 });
    const job = run(toArray<Result>(), { logger, credits: 1 });
    await job.stop();
    expect(lines.some((l) => l.includes('INFO  job stopping event=job.stopping reason=stop()'))).toBe(true);
  });

  it('stops a source whose poll never answers: its pending poll is given up, and the next run reads that batch', async () => {
    const state = memoryState();
    const source = new StallingSource(events, 600);
    const first = toArray<Result>();
    const job = pipeline(source, first).run({ state, checkpointEvery: { records: 200 } });
    await source.stalled;
    const stopped = await job.stop();
    expect(stopped).toMatchObject({ stopped: true, records: 600 });
    // The poll answers after all: its batch is dropped, not counted in the checkpoint.
    source.release();
    await new Promise((resolve) => setTimeout(resolve, 10));

    const second = toArray<Result>();
    const resumed = await pipeline(new StallingSource(events, Infinity), second).run({ state });
    expect(resumed.records).toBe(events.length - 600);
    expect(upsertById([...first.items, ...second.items])).toEqual(await uninterrupted());
  });
});

describe('stopTimeout', () => {
  it('rejects stop() with STOP_TIMEOUT naming the sink whose write never settles', async () => {
    let writes = 0;
    const hanging: Sink<Result> = {
      name: 'hanging-db',
      write: () => (++writes > 2 ? new Promise<void>(() => undefined) : undefined),
    };
    const job = run(hanging, { credits: 1, stopTimeout: '30ms' });
    while (writes <= 2) await new Promise((resolve) => setTimeout(resolve, 1));
    const error = await job.stop().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamkitError);
    expect((error as StreamkitError).code).toBe('STOP_TIMEOUT');
    expect((error as Error).message).toBe(
      'the job did not stop within stopTimeout (30 ms): still waiting for sink "hanging-db" to finish a write; the next start replays from the beginning of the input',
    );
    await expect(job).rejects.toBe(error);
  });

  it('names a flush that never settles in the final checkpoint, and the restart resumes from the last completed checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamkit-stop-timeout-'));
    try {
      let hang = false;
      const failed: RuntimeEvent[] = [];
      const out = toArray<Result>();
      const sink: Sink<Result> = {
        name: 'slow-flush',
        write: (items) => out.write(items),
        flush: () => (hang ? new Promise<void>(() => undefined) : undefined),
      };
      const job = run(sink, {
        state: levelState(join(dir, 'state')),
        credits: 1,
        checkpointEvery: { records: 100 },
        stopTimeout: 40,
        onEvent: (e) => {
          if (e.type === 'checkpoint.completed' && e.id === 2) {
            hang = true;
            void job.stop();
          }
          if (e.type === 'job.failed') failed.push(e);
        },
      });
      const error = (await job.then(
        () => undefined,
        (e: unknown) => e,
      )) as StreamkitError;
      expect(error.code).toBe('STOP_TIMEOUT');
      expect(error.message).toBe(
        'the job did not stop within stopTimeout (40 ms): still waiting for sink "slow-flush" to finish a flush; the next start resumes from checkpoint 2',
      );
      expect(failed).toEqual([{ type: 'job.failed', error }]);

      // The state directory is released in the background, although the sink never answered.
      let resumed: Awaited<ReturnType<typeof run>> | undefined;
      for (let attempt = 0; !resumed; attempt++) {
        resumed = await run(toArray<Result>(), { state: levelState(join(dir, 'state')) }).catch((e: unknown) => {
          if (attempt > 200 || (e as StreamkitError).code !== 'STATE_INCOMPATIBLE') throw e;
          return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10));
        });
      }
      expect(resumed.restoredFrom).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('validates stopTimeout and stopOnSignals, naming the option', async () => {
    const errorOf = (options: RunOptions) =>
      run(toArray<Result>(), options).then(
        () => undefined,
        (e: Error) => e,
      );
    expect((await errorOf({ stopTimeout: 0 }))?.message).toBe('stopTimeout must be greater than 0, got 0');
    expect((await errorOf({ stopTimeout: '5 sec' }))?.message).toMatch(/^stopTimeout: cannot parse duration "5 sec"/);
    expect((await errorOf({ stopOnSignals: 'SIGTERM' as never }))?.message).toBe(
      `stopOnSignals must be an array of signal names such as ['SIGTERM', 'SIGINT'], got "SIGTERM"`,
    );
    const kill = await errorOf({ stopOnSignals: ['SIGKILL'] });
    expect(kill).toBeInstanceOf(RangeError);
    expect(kill?.message).toBe(
      `stopOnSignals: "SIGKILL" is not a signal a process can listen for (use names such as 'SIGTERM', 'SIGINT', 'SIGHUP')`,
    );
    expect((await errorOf({ stopOnSignals: ['SIGTERMINATE' as never] }))?.message).toMatch(
      /^stopOnSignals: "SIGTERMINATE" is not a signal/,
    );
    for (const signal of [{}, 'SIGTERM', new AbortController()]) {
      const error = await errorOf({ signal: signal as never });
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toMatch(
        /^signal must be an AbortSignal \(new AbortController\(\)\.signal, AbortSignal\.timeout\(ms\)\), got /,
      );
    }
  });

  it('removes its process signal listeners when the job ends', async () => {
    const before = process.listenerCount('SIGHUP');
    const job = run(toArray<Result>(), { stopOnSignals: ['SIGHUP'] });
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    await job;
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });
});

/**
 * A source over `events` whose poll, at record `stallAt`, returns a promise that answers only when
 * released, and ignores the stop signal. Its position moves only when a poll answers, as the
 * `Source` contract says.
 */
class StallingSource implements Source<Event> {
  readonly name = 'stalling';
  private consumed = 0;
  private batchSize = 20;
  private resume: (() => void) | undefined;
  private markStalled!: () => void;
  readonly stalled = new Promise<void>((resolve) => (this.markStalled = resolve));

  constructor(
    private readonly events: Event[],
    private readonly stallAt: number,
  ) {}

  partitions(): readonly number[] {
    return [0];
  }

  open(ctx: SourceContext): void {
    this.batchSize = ctx.batchSize > 20 ? 20 : ctx.batchSize;
    this.consumed = typeof ctx.restoreFrom === 'number' ? ctx.restoreFrom : 0;
  }

  poll(): SourcePoll<Event> | Promise<SourcePoll<Event>> {
    if (this.consumed === this.stallAt) {
      this.markStalled();
      return new Promise((resolve) => (this.resume = () => resolve(this.take())));
    }
    return this.take();
  }

  release(): void {
    this.resume?.();
  }

  position(): unknown {
    return this.consumed;
  }

  private take(): SourcePoll<Event> {
    if (this.consumed >= this.events.length) return { kind: 'end' };
    const values = this.events.slice(this.consumed, Math.min(this.consumed + this.batchSize, this.events.length));
    const from = this.consumed;
    this.consumed += values.length;
    return { kind: 'batch', batch: batchOf(values, 0, from) };
  }
}
