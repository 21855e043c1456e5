import { describe, expect, it } from 'vitest';
import { batchOf } from '../../src/core/batch.js';
import { Metrics } from '../../src/core/metrics.js';
import { emptyRunSummary, type RuntimeEvent } from '../../src/core/runtime-event.js';
import type { Sink } from '../../src/core/sink.js';
import type { Source, SourcePoll } from '../../src/core/source.js';
import type { CheckpointData, StateBackend } from '../../src/core/state-backend.js';
import { Checkpoint, CHECKPOINT_STEPS, type CheckpointTargets } from '../../src/runtime/checkpoint.js';
import { CheckpointCoordinator } from '../../src/runtime/checkpoint-coordinator.js';
import { JobFailure } from '../../src/runtime/job-failure.js';
import { OperatorGraph } from '../../src/runtime/operator-graph.js';
import { SinkCalls } from '../../src/runtime/sink-calls.js';
import { memoryState } from '../../src/state/memory-state.js';
import { Counter } from './fixtures/counter.js';
import { METRICS } from '../../src/core/metric-catalogue.js';

/** A source at a settable position that logs its commits (and can fail them). */
class LoggingSource implements Source<number> {
  readonly name = 'logging';
  position_ = 0;
  failCommit = false;
  constructor(private readonly log: string[]) {}
  partitions(): readonly number[] {
    return [0];
  }
  open(): void {}
  poll(): SourcePoll<number> {
    return { kind: 'end' };
  }
  position(): unknown {
    return this.position_;
  }
  async commit(position: unknown): Promise<void> {
    this.log.push(`commit ${position}`);
    if (this.failCommit) throw new Error('commit refused');
  }
}

/** A sink that logs its flushes (and can fail them). */
function loggingSink(name: string, log: string[], fail = false): Sink<number> {
  return {
    name,
    write: () => undefined,
    flush: async () => {
      log.push(`flush ${name}`);
      if (fail) throw new Error('disk full');
    },
  };
}

/** The memory backend, logging its writes (and able to fail them). */
function loggingBackend(log: string[], fail = false): StateBackend & { last(): Promise<number | undefined> } {
  const inner = memoryState();
  return {
    name: 'logging',
    open: () => inner.open(),
    close: () => inner.close(),
    async write(checkpoint: CheckpointData) {
      log.push(`write ${checkpoint.id}`);
      if (fail) throw new Error('no space left on device');
      await inner.write(checkpoint);
    },
    async last() {
      return (await inner.open())?.id;
    },
  };
}

function setup() {
  const log: string[] = [];
  const events: RuntimeEvent[] = [];
  const metrics = new Metrics();
  const counter = new Counter();
  const graph = new OperatorGraph(
    { operators: [() => counter], sinks: [] },
    metrics,
    () => 0,
    () => [0],
  );
  const source = new LoggingSource(log);
  const backend = loggingBackend(log);
  const summary = emptyRunSummary();
  const failure = new JobFailure();
  const sinks = [loggingSink('a', log), loggingSink('b', log)];
  const targets: CheckpointTargets = {
    sinks,
    sinkCalls: new SinkCalls(),
    store: { perTask: false, backend },
    source,
    metrics,
    summary,
    now: () => 1000,
    emit: (event) => {
      events.push(event);
      log.push(`event ${event.type}`);
    },
    failure,
  };
  /** Pushes `n` records through the counter, moves the source position along, and takes a checkpoint's first step. */
  const read = (n: number, id: number) => {
    graph.push(
      batchOf(
        Array.from({ length: n }, (_, i) => i),
        0,
        source.position_,
      ),
    );
    source.position_ += n;
    return Checkpoint.snapshot(id, { source, graph }, id === 1, () => 1000);
  };
  const barrier = async (checkpoint: Checkpoint) => {
    await checkpoint.sendBarrier(async () => {
      log.push(`barrier ${checkpoint.id}`);
    });
  };
  return { log, events, metrics, counter, graph, source, backend, summary, failure, targets, read, barrier };
}

describe('a checkpoint, step by step', () => {
  it('names its steps in protocol order', () => {
    expect(CHECKPOINT_STEPS).toEqual(['snapshot', 'barrier', 'flush sinks', 'write state', 'commit source positions', 'record']);
  });

  it('runs snapshot, barrier, flush, write, commit and record in that order, each status after the one before', async () => {
    const { log, events, metrics, summary, targets, read, barrier, backend } = setup();
    const checkpoint = read(5, 1);
    expect(checkpoint.status).toBe('snapshotted');
    expect(checkpoint.data.sourcePosition).toBe(5);
    await barrier(checkpoint);
    expect(checkpoint.status).toBe('barrier-sent');
    await checkpoint.flushSinks(targets);
    expect(checkpoint.status).toBe('sinks-flushed');
    await checkpoint.writeState(targets);
    expect(checkpoint.status).toBe('state-written');
    await checkpoint.commitSource(targets);
    expect(checkpoint.status).toBe('committed');
    checkpoint.record(targets);
    expect(checkpoint.status).toBe('completed');

    expect(log).toEqual(['barrier 1', 'flush a', 'flush b', 'write 1', 'commit 5', 'event checkpoint.completed']);
    expect(events).toEqual([{ type: 'checkpoint.completed', id: 1, durationMs: 0, entries: 1 }]);
    expect(summary.checkpoints).toBe(1);
    expect(metrics.get(METRICS.checkpointsCompleted)).toBe(1);
    expect(metrics.get(METRICS.checkpointLastCompleted)).toBe(1);
    expect(await backend.last()).toBe(1);
  });

  it('holds the state as of its snapshot, whatever the operators do while the barrier waits for the sinks', async () => {
    const { targets, read, barrier, backend, graph } = setup();
    const checkpoint = read(3, 1);
    graph.push(batchOf([1, 2, 3, 4], 0, 3)); // processed after the snapshot
    await barrier(checkpoint);
    await checkpoint.complete(targets);
    const restored = await backend.open();
    expect([...restored!.operators.get('counter#0')!]).toEqual([['n', 3]]);
    expect(restored!.sourcePosition).toBe(3);
  });

  it('refuses a step out of order, naming the status it needs', async () => {
    const { targets, read, barrier } = setup();
    const checkpoint = read(1, 1);
    await expect(checkpoint.writeState(targets)).rejects.toThrow(
      'checkpoint 1: step "write state" needs status "sinks-flushed", but the checkpoint is "snapshotted"',
    );
    await barrier(checkpoint);
    await expect(barrier(checkpoint)).rejects.toThrow('step "barrier" needs status "snapshotted"');
    expect(() => checkpoint.record(targets)).toThrow('step "record" needs status "committed"');
  });

  const failures = [
    { step: 'flush sinks', options: { failFlush: true }, error: 'sink b failed to flush: Error: disk full', written: false },
    {
      step: 'write state',
      options: { failWrite: true },
      error: 'checkpoint 2 could not be written to logging state: Error: no space left on device',
      written: false,
    },
    { step: 'commit source positions', options: { failCommit: true }, error: 'commit refused', written: true },
  ] as const;

  for (const { step, options, error, written } of failures) {
    it(`a failure at "${step}" runs no later step, records nothing${written ? '' : ', commits nothing and leaves the previous checkpoint'}`, async () => {
      const { log, events, summary, targets, read, barrier, backend, source } = setup();
      const first = read(4, 1);
      await barrier(first);
      await first.complete(targets);
      log.length = 0;
      events.length = 0;

      // From now on the sinks, the backend or the source fail as the case says.
      if ('failFlush' in options) targets.sinks = [loggingSink('a', log), loggingSink('b', log, true)];
      if ('failWrite' in options) targets.store = { perTask: false, backend: failingWrites(backend, log) };
      source.failCommit = 'failCommit' in options;
      const second = read(6, 2);
      await barrier(second);
      const waiting = second.whenComplete(targets.failure);
      await expect(second.complete(targets)).rejects.toThrow(error);
      expect(second.status).toBe('failed');
      // The sink stage fails the job with the step's error; whoever waits on the checkpoint learns it.
      targets.failure.fail(new Error(error));
      await expect(waiting).rejects.toThrow(error);

      const ran = log.map((l) => l.split(' ')[0]);
      expect(ran).not.toContain('event');
      if (step === 'flush sinks') expect(ran).toEqual(['barrier', 'flush', 'flush']);
      if (step === 'write state') expect(ran).toEqual(['barrier', 'flush', 'flush', 'write']);
      if (step === 'commit source positions') expect(ran).toEqual(['barrier', 'flush', 'flush', 'write', 'commit']);
      if (!written) expect(log.filter((l) => l.startsWith('commit'))).toEqual([]);
      expect(events).toEqual([]);
      expect(summary.checkpoints).toBe(1);
      // The state a restart restores: the previous checkpoint, unless the state was written (the
      // positions it holds then match it, and the next commit moves the source on).
      expect(await backend.last()).toBe(written ? 2 : 1);
    });
  }

  it('runs no step once the job has failed', async () => {
    const { log, targets, read, barrier } = setup();
    const checkpoint = read(2, 1);
    await barrier(checkpoint);
    targets.failure.fail(new Error('a sink failed'));
    await expect(checkpoint.complete(targets)).rejects.toThrow('checkpoint 1 abandoned before step "flush sinks": the job failed');
    expect(checkpoint.status).toBe('failed');
    expect(log).toEqual(['barrier 1']);
  });

  it('names the step it is waiting on', async () => {
    const { targets, read, barrier } = setup();
    let release!: () => void;
    targets.store = {
      perTask: false,
      backend: { name: 'slow', open: async () => undefined, close: async () => undefined, write: () => new Promise((r) => (release = r)) },
    };
    const checkpoint = read(2, 1);
    await barrier(checkpoint);
    expect(checkpoint.describeRunning()).toBeUndefined();
    const completing = checkpoint.complete(targets);
    await new Promise((r) => setImmediate(r));
    expect(checkpoint.describeRunning()).toBe('checkpoint 1 to write state');
    release();
    await completing;
    expect(checkpoint.status).toBe('completed');
    expect(checkpoint.describeRunning()).toBeUndefined();
  });
});

describe('the checkpoint coordinator', () => {
  it('takes a checkpoint every n records, numbers them on from the restored one, and writes the whole state only first', async () => {
    const { graph, source, failure, targets } = setup();
    const sent: Checkpoint[] = [];
    const coordinator = new CheckpointCoordinator(
      { records: 10 },
      7,
      { source, graph },
      async (c) => void sent.push(c),
      failure,
      () => 0,
    );
    coordinator.recordsRead(9);
    await coordinator.checkpointIfDue(false);
    expect(sent).toEqual([]);
    coordinator.recordsRead(1);
    await coordinator.checkpointIfDue(false);
    coordinator.recordsRead(3);
    coordinator.request();
    // One asked for (memory pressure) waits until the one before it is recorded.
    const asked = coordinator.checkpointIfDue(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((c) => c.id)).toEqual([8]);
    await sent[0].complete(targets);
    await asked;
    await coordinator.checkpointIfDue(true);
    expect(sent.map((c) => c.id)).toEqual([8, 9, 10]);
    expect(sent.map((c) => c.data.operators.get('counter#0')!.full)).toEqual([true, false, false]);
    expect(sent.map((c) => c.status)).toEqual(['completed', 'barrier-sent', 'barrier-sent']);
  });

  it('takes none without a policy (no state configured)', async () => {
    const { graph, source, failure } = setup();
    const coordinator = new CheckpointCoordinator(
      undefined,
      0,
      { source, graph },
      async () => undefined,
      failure,
      () => 0,
    );
    coordinator.request();
    expect(coordinator.due()).toBe(false);
    expect(coordinator.snapshot()).toBeUndefined();
  });
});

/** `backend`, whose writes now fail (and are logged), its reads unchanged. */
function failingWrites(backend: StateBackend, log: string[]): StateBackend {
  return {
    name: backend.name,
    open: () => backend.open(),
    close: () => backend.close(),
    write: async (checkpoint: CheckpointData) => {
      log.push(`write ${checkpoint.id}`);
      throw new Error('no space left on device');
    },
  };
}
