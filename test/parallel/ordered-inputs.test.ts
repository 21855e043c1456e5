import { setTimeout as sleep } from 'node:timers/promises';
import { MessageChannel, Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelInputs } from '../../src/parallel/channel-inputs.js';
import { openExchange } from '../../src/parallel/exchange-channel.js';
import { ExchangeError } from '../../src/parallel/exchange-error.js';
import type { BatchFrame, ExchangeFrame } from '../../src/parallel/exchange-frame.js';
import { ExchangeReceiver } from '../../src/parallel/exchange-receiver.js';
import type { ExchangeSender } from '../../src/parallel/exchange-sender.js';
import { keyGroupOf, workerForKeyGroup } from '../../src/parallel/key-groups.js';
import { OrderedInputs } from '../../src/parallel/ordered-inputs.js';
import { OrderedPartitioner, keyGroupsOf } from '../../src/parallel/ordered-partition.js';
import { failOnWorkerFailure } from '../../src/parallel/worker-failure.js';
import { orderedRun, parallelismOneSequence, restrictTo, type Trip, type SourceBatch } from './ordered-run.js';

type Frame = ExchangeFrame<Trip>;

const END: Frame = { kind: 'end' };

const batchFrame = (batch: number, fields: Partial<BatchFrame<Trip>> = {}): Frame => ({
  kind: 'batch',
  batch,
  values: [],
  times: [],
  ...fields,
});

/** A source batch: records with keys and times, and what the source produced after it. */
const sourceBatch: fc.Arbitrary<Omit<SourceBatch, 'end'>> = fc.record({
  records: fc.array(
    fc.record({
      key: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('a', 'b', 'zone-7')),
      time: fc.integer({ min: 0, max: 500 }),
    }),
    {
      maxLength: 6,
    },
  ),
  watermarkStep: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  barrier: fc.boolean(),
});

const scenario = fc.record({
  batches: fc.array(sourceBatch, { minLength: 1, maxLength: 14 }),
  upstream: fc.integer({ min: 1, max: 4 }),
  keyed: fc.integer({ min: 1, max: 4 }),
  maxParallelism: fc.constantFrom(4, 7, 16, 128),
  firstBatch: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9 })),
  /** Which channel delivers next, and how many of its frames in a row. */
  deliveries: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { maxLength: 200 }),
});

describe('the ordered exchange against parallelism 1, over random batches, worker counts and interleavings', () => {
  it("gives each keyed worker exactly parallelism 1's sequence restricted to its key groups", () => {
    fc.assert(
      fc.property(scenario, ({ batches, upstream, keyed, maxParallelism, firstBatch, deliveries }) => {
        const source = batches.map((b, i) => ({ ...b, end: i === batches.length - 1 }));
        const expected = parallelismOneSequence(source);
        const run = orderedRun(source, { upstream, keyed, maxParallelism, firstBatch });
        const merged: Frame[][] = [];

        for (let worker = 0; worker < keyed; worker++) {
          const channels = run.channelsTo(worker);
          const inputs = new OrderedInputs<Trip>(upstream, { firstBatch });
          const taken = channels.map(() => 0);
          const output: Frame[] = [];
          let next = 0;
          const deliver = (channel: number) => {
            output.push(...inputs.push(channel, channels[channel][taken[channel]++]));
            // What it holds and waits for: the batches pushed whose turn has not come.
            const pushed = channels.flatMap((frames, c) => frames.slice(0, taken[c]));
            const batchesPushed = pushed.filter((f): f is BatchFrame<Trip> => f.kind === 'batch');
            let due = firstBatch;
            while (batchesPushed.some((f) => f.batch === due)) due++;
            const held = batchesPushed.filter((f) => f.batch >= due);
            expect(inputs.heldFrames).toBe(held.length);
            expect(inputs.heldRecords).toBe(held.reduce((n, f) => n + f.values.length, 0));
            expect(inputs.nextBatch).toBe(due);
            const endPassed = batchesPushed.some((f) => f.end === true && f.batch < due);
            expect(inputs.ended).toBe(endPassed);
            expect(inputs.isWaitingFor()).toBe(endPassed ? undefined : due % upstream);
          };
          // A random interleaving across channels, in runs of one to three frames of a channel.
          const open = () => channels.map((_, c) => c).filter((c) => taken[c] < channels[c].length);
          for (let left = open(); left.length > 0; left = open()) {
            const [pick, run] = deliveries[next++] ?? [0, 1];
            const channel = left[pick % left.length];
            for (let i = 0; i < run && taken[channel] < channels[channel].length; i++) deliver(channel);
          }
          expect(output).toStrictEqual(
            restrictTo(expected, (trip) => workerForKeyGroup(keyGroupOf(trip.key, maxParallelism), keyed, maxParallelism) === worker),
          );
          expect(output.at(-1)).toEqual(END);
          expect(inputs.heldFrames).toBe(0);
          merged.push(output);
        }

        // Every record goes to exactly one keyed worker.
        const ids = merged.flatMap((frames) => frames.flatMap((f) => (f.kind === 'records' ? f.values.map((t) => t.id) : [])));
        expect(ids.sort((a, b) => a - b)).toStrictEqual(source.flatMap((b) => b.records).map((_, i) => i));
      }),
      { numRuns: 300 },
    );
  });

  it('passes a batch on as soon as its turn comes, whichever channel delivered first', () => {
    const inputs = new OrderedInputs<Trip>(3);
    const trip = (id: number): Trip => ({ id, key: id });
    expect(inputs.isWaitingFor()).toBe(0);
    expect(inputs.push(2, batchFrame(2, { values: [trip(2)], times: [20], watermark: 20 }))).toEqual([]);
    expect(inputs.push(1, batchFrame(1, { checkpointId: 1 }))).toEqual([]);
    expect([inputs.heldFrames, inputs.heldRecords, inputs.isWaitingFor()]).toEqual([2, 1, 0]);
    expect(inputs.push(0, batchFrame(0, { values: [trip(0)], times: [5] }))).toEqual([
      { kind: 'records', values: [trip(0)], times: [5] },
      { kind: 'barrier', checkpointId: 1 },
      { kind: 'records', values: [trip(2)], times: [20] },
      { kind: 'watermark', time: 20 },
    ]);
    expect([inputs.heldFrames, inputs.heldRecords, inputs.isWaitingFor(), inputs.nextBatch]).toEqual([0, 0, 0, 3]);
    expect(inputs.push(0, batchFrame(3, { watermark: 30, end: true }))).toEqual([{ kind: 'watermark', time: 30 }, END]);
    expect([inputs.ended, inputs.isWaitingFor()]).toEqual([true, undefined]);
    for (const c of [1, 2, 0]) expect(inputs.push(c, END)).toEqual([]);
  });

  it('starts from another first batch: batch b still goes on channel b mod N', () => {
    const inputs = new OrderedInputs<Trip>(3, { firstBatch: 5 });
    expect(inputs.isWaitingFor()).toBe(2);
    expect(inputs.push(0, batchFrame(6, { watermark: 6 }))).toEqual([]);
    expect(inputs.push(2, batchFrame(5, { watermark: 5 }))).toEqual([
      { kind: 'watermark', time: 5 },
      { kind: 'watermark', time: 6 },
    ]);
    expect(inputs.push(1, batchFrame(7, { end: true }))).toEqual([END]);
    expect(() => new OrderedInputs(3, { firstBatch: -1 })).toThrow(/firstBatch must be a non-negative integer/);
    expect(() => new OrderedInputs(0)).toThrow(/channelCount must be a positive integer/);
    expect(() => inputs.push(3, END)).toThrow(RangeError);
  });
});

describe('protocol errors of the ordered exchange', () => {
  /** Pushes `[channel, frame]` pairs on a fresh merge of `channels` channels and returns what the last push threw. */
  function failure(channels: number, pushes: Array<[number, Frame]>): { error: unknown; inputs: OrderedInputs<Trip> } {
    const inputs = new OrderedInputs<Trip>(channels);
    for (const [i, [channel, frame]] of pushes.entries()) {
      try {
        inputs.push(channel, frame);
      } catch (error) {
        expect(i).toBe(pushes.length - 1);
        return { error, inputs };
      }
    }
    throw new Error('no push threw');
  }

  const cases: Array<[string, number, Array<[number, Frame]>, RegExp]> = [
    ['a batch out of order on its channel', 2, [[0, batchFrame(2)]], /channel 0 sent batch 2 where batch 0 was due/],
    [
      'a batch sent twice',
      2,
      [
        [0, batchFrame(0)],
        [0, batchFrame(0)],
      ],
      /channel 0 sent batch 0 where batch 2 was due/,
    ],
    [
      'a batch another channel carries',
      2,
      [[1, batchFrame(0)]],
      /channel 1 sent batch 0, which channel 0 carries: batch b goes on channel b mod 2/,
    ],
    ['a batch number that is not one', 1, [[0, batchFrame(-1)]], /a batch number is a non-negative integer/],
    [
      'a frame after its channel ended',
      2,
      [
        [0, batchFrame(0)],
        [0, END],
        [0, batchFrame(2)],
      ],
      /channel 0 sent a frame \(batch\) after its end/,
    ],
    [
      'a batch after the batch that said the end',
      2,
      [
        [0, batchFrame(0, { end: true })],
        [1, batchFrame(1)],
      ],
      /channel 1 sent batch 1 after the end, which batch 0 said/,
    ],
    [
      'the end said after a later batch came',
      2,
      [
        [1, batchFrame(1)],
        [0, batchFrame(0, { end: true })],
      ],
      /channel 1 sent batch 1 after the end, which batch 0 says/,
    ],
    [
      'a channel ending before the batch awaited from it',
      2,
      [
        [0, batchFrame(0)],
        [1, batchFrame(1)],
        [0, END],
      ],
      /channel 0 ended before sending batch 2, and no batch has said the end/,
    ],
    [
      'a channel ending while a batch of its up to the last is missing',
      2,
      [
        [1, batchFrame(1)],
        [1, batchFrame(3, { end: true })],
        [0, batchFrame(0)],
        [0, END],
      ],
      /channel 0 ended before sending batch 2, and batch 3 is the last/,
    ],
    [
      'a later batch showing a channel ended too early',
      3,
      [
        [1, END],
        [2, batchFrame(2)],
      ],
      /channel 1 ended before sending batch 1, and no batch has said the end/,
    ],
    ['the channel awaited ending first', 3, [[0, END]], /channel 0 ended before sending batch 0/],
    [
      'a channel that ended early, found when the merge comes to its batch',
      2,
      [
        [1, batchFrame(1)],
        [1, END],
        [0, batchFrame(0)],
        [0, batchFrame(2)],
      ],
      /channel 1 ended before sending batch 3, and no batch has said the end/,
    ],
    [
      'every channel ended and no batch said the end',
      1,
      [
        [0, batchFrame(0)],
        [0, END],
      ],
      /channel 0 ended before sending batch 1, and no batch has said the end/,
    ],
    [
      'a frame of the other family',
      2,
      [[0, { kind: 'records', values: [], times: [] }]],
      /channel 0 sent a frame of kind records: an ordered exchange carries batch frames and the end/,
    ],
    ['an idle frame', 2, [[0, { kind: 'idle' }]], /channel 0 sent a frame of kind idle/],
  ];

  it.each(cases)('refuses %s, and stays failed', (_, channels, pushes, message) => {
    const { error, inputs } = failure(channels, pushes);
    expect(error).toBeInstanceOf(ExchangeError);
    expect(error).toMatchObject({ reason: 'protocol' });
    expect((error as Error).message).toMatch(message);
    expect(() => inputs.push(0, batchFrame(0))).toThrow(error as Error);
    expect(() => inputs.push(0, END)).toThrow(error as Error);
  });

  /** Ways to break a valid run's channels: each must end in a protocol error, never in a wrong sequence or a silent wait. */
  const breakage = fc.constantFrom(
    'drop a batch',
    'send a batch twice',
    'drop the end mark',
    'move a batch to another channel',
    'send after the end',
  );

  it('refuses every broken run before or at its last frame (property over random runs, breakages and interleavings)', () => {
    fc.assert(
      fc.property(scenario, breakage, fc.nat(), ({ batches, upstream, keyed, maxParallelism, firstBatch, deliveries }, how, at) => {
        const source = batches.map((b, i) => ({ ...b, end: i === batches.length - 1 }));
        const channels = orderedRun(source, { upstream, keyed, maxParallelism, firstBatch }).channelsTo(0);
        // Positions of the batch frames, as [channel, index].
        const places = channels.flatMap((frames, c) => frames.flatMap((f, i) => (f.kind === 'batch' ? [[c, i] as const] : [])));
        const [c, i] = places[at % places.length];
        const frame = channels[c][i] as BatchFrame<Trip>;
        if (how === 'drop a batch') channels[c].splice(i, 1);
        if (how === 'send a batch twice') channels[c].splice(i, 0, frame);
        if (how === 'drop the end mark') {
          const last = places.map(([pc, pi]) => channels[pc][pi] as BatchFrame<Trip>).find((f) => f.end)!;
          delete (last as { end?: true }).end;
        }
        if (how === 'move a batch to another channel') {
          if (upstream === 1) return;
          channels[c].splice(i, 1);
          channels[(c + 1) % upstream].splice(0, 0, frame);
        }
        if (how === 'send after the end') channels[c].push(frame);

        const inputs = new OrderedInputs<Trip>(upstream, { firstBatch });
        const taken = channels.map(() => 0);
        let next = 0;
        const deliverAll = () => {
          const open = () => channels.map((_, ch) => ch).filter((ch) => taken[ch] < channels[ch].length);
          for (let left = open(); left.length > 0; left = open()) {
            const [pick] = deliveries[next++] ?? [0];
            const ch = left[pick % left.length];
            inputs.push(ch, channels[ch][taken[ch]++]);
          }
        };
        expect(deliverAll).toThrow(ExchangeError);
        expect(() => inputs.push(0, END)).toThrow(expect.objectContaining({ reason: 'protocol' }));
      }),
      { numRuns: 300 },
    );
  });

  it('lets ChannelInputs refuse batch frames, which belong to the ordered exchange', () => {
    const inputs = new ChannelInputs<Trip>(2);
    expect(() => inputs.push(1, batchFrame(1))).toThrow(
      /channel 1 sent a batch frame \(batch 1\): batch frames belong to an ordered exchange/,
    );
    expect(() => inputs.push(0, END)).toThrow(ExchangeError);
  });
});

describe('OrderedPartitioner', () => {
  it('splits a batch by the keyed worker of each key group, in batch order, with a frame for every worker', () => {
    const partitioner = new OrderedPartitioner(3, 6);
    const values = ['a', 'b', 'c', 'd', 'e'];
    const frames = partitioner.partition(4, values, [1, 2, 3, 4, 5], [5, 0, 1, 4, 0], { watermark: 3, checkpointId: 2 });
    expect(frames).toStrictEqual([
      { kind: 'batch', batch: 4, values: ['b', 'c', 'e'], times: [2, 3, 5], watermark: 3, checkpointId: 2 },
      { kind: 'batch', batch: 4, values: [], times: [], watermark: 3, checkpointId: 2 },
      { kind: 'batch', batch: 4, values: ['a', 'd'], times: [1, 4], watermark: 3, checkpointId: 2 },
    ]);
    expect(partitioner.partition(5, [], [], [], { end: true })).toStrictEqual(
      Array.from({ length: 3 }, () => ({ kind: 'batch', batch: 5, values: [], times: [], end: true })),
    );
    expect(partitioner.partition(6, ['x'], [0], [2], { end: false })[1]).toStrictEqual({
      kind: 'batch',
      batch: 6,
      values: ['x'],
      times: [0],
    });
  });

  it('computes key groups from a key function as keyGroupOf does', () => {
    const trips = [{ zone: 7 }, { zone: 'x' }, { zone: 7 }];
    expect([...keyGroupsOf(trips, (t) => t.zone, 128)]).toEqual(trips.map((t) => keyGroupOf(t.zone, 128)));
  });

  it('validates its arguments, naming the rule', () => {
    expect(() => new OrderedPartitioner(5, 4)).toThrow(/parallelism must be an integer from 1 to maxParallelism \(4\)/);
    const partitioner = new OrderedPartitioner(2, 4);
    expect(() => partitioner.partition(-1, [], [], [])).toThrow(/batch must be a non-negative integer/);
    expect(() => partitioner.partition(0, ['a'], [], [0])).toThrow(/same length, got 1, 0 and 1/);
    expect(() => partitioner.partition(0, ['a'], [0], [4])).toThrow(/keyGroups\[0\] must be an integer from 0 to 3, got 4/);
    expect(() => partitioner.partition(0, ['a'], [0], [0.5])).toThrow(/keyGroups\[0\]/);
    expect(() => partitioner.partition(0, [], [], [], { watermark: NaN })).toThrow(/after.watermark must be a number/);
    expect(() => partitioner.partition(0, [], [], [], { checkpointId: -2 })).toThrow(/after.checkpointId must be a non-negative integer/);
  });
});

// How TypeScript workers start under vitest: see test/parallel/exchange-channel.test.ts.
const TS_WORKER = new URL('../../scripts/ts-worker.mjs', import.meta.url);
const KEYED_WORKER = new URL('./fixtures/ordered-keyed-worker.ts', import.meta.url).href;

describe('the ordered exchange between worker threads', () => {
  const workers: Worker[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.terminate()));
  });

  /** A keyed worker thread with one input exchange per upstream worker, sending its merged stream back. */
  function startKeyedWorker(upstream: number, credits: number, holdBound: number) {
    const inputs = Array.from({ length: upstream }, () => openExchange<Trip>({ credits }));
    const back = new MessageChannel();
    const ports = inputs.map((i) => i.port);
    const worker = new Worker(TS_WORKER, {
      workerData: { script: KEYED_WORKER, inputs: ports, output: back.port2, credits, holdBound },
      transferList: [...ports, back.port2],
    });
    workers.push(worker);
    const merged = new ExchangeReceiver<Trip>(back.port1);
    const senders = inputs.map((i) => i.sender);
    failOnWorkerFailure(worker, [...senders, merged]);
    const report = new Promise<{ mostHeld: number }>((resolve) => worker.once('message', resolve));
    return { senders, merged, report };
  }

  async function receiveAll(receiver: ExchangeReceiver<Trip>): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (let f = await receiver.receive(); f.kind !== 'end'; f = await receiver.receive()) frames.push(f);
    return [...frames, END];
  }

  it("gives each keyed worker thread parallelism 1's sequence for its keys while upstream workers send at their own pace", async () => {
    let mostHeldSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          batches: fc.array(sourceBatch, { minLength: 20, maxLength: 60 }),
          upstream: fc.integer({ min: 2, max: 3 }),
          keyed: fc.integer({ min: 1, max: 3 }),
          /** Per upstream worker, a pause (ms) before each of its batches, to vary the interleaving. */
          pauses: fc.array(fc.array(fc.constantFrom(0, 0, 0, 1, 3), { minLength: 60, maxLength: 60 }), { minLength: 3, maxLength: 3 }),
        }),
        async ({ batches, upstream, keyed, pauses }) => {
          const maxParallelism = 16;
          const credits = 2;
          const holdBound = 3;
          const source = batches.map((b, i) => ({ ...b, end: i === batches.length - 1 }));
          const run = orderedRun(source, { upstream, keyed, maxParallelism });
          const keyedWorkers = Array.from({ length: keyed }, () => startKeyedWorker(upstream, credits, holdBound));

          /** Upstream worker u: its batches in order, each batch's frame to every keyed worker, then the end. */
          const sendUpstream = async (u: number) => {
            const mine = (k: number): ExchangeSender<Trip> => keyedWorkers[k].senders[u];
            for (let b = u; b < source.length; b += upstream) {
              if (pauses[u][b] > 0) await sleep(pauses[u][b]);
              const frames = run.framesOf(b);
              for (let k = 0; k < keyed; k++) {
                const wait = mine(k).send(frames[k]);
                if (wait) await wait;
              }
            }
            await Promise.all(keyedWorkers.map((_, k) => mine(k).end()));
          };
          const [outputs] = await Promise.all([
            Promise.all(keyedWorkers.map((w) => receiveAll(w.merged))),
            ...Array.from({ length: upstream }, (_, u) => sendUpstream(u)),
          ]);

          const expected = parallelismOneSequence(source);
          outputs.forEach((output, worker) => {
            const owns = (trip: Trip) => workerForKeyGroup(keyGroupOf(trip.key, maxParallelism), keyed, maxParallelism) === worker;
            expect(output).toStrictEqual(restrictTo(expected, owns));
          });
          // The bound on held frames holds: the worker left other channels' frames in their receivers.
          for (const w of keyedWorkers) expect((await w.report).mostHeld).toBeLessThanOrEqual(holdBound);
          for (const w of keyedWorkers) mostHeldSeen = Math.max(mostHeldSeen, (await w.report).mostHeld);
          await Promise.all(workers.splice(0).map((w) => w.terminate()));
        },
      ),
      { numRuns: 6 },
    );
    // Batches did arrive before their turn and were held: the interleavings were not all in order.
    expect(mostHeldSeen).toBeGreaterThan(0);
  });
});
