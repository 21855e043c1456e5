/**
 * The exchange channel between real worker threads.
 *
 * How the worker runs TypeScript under vitest 4 on Node 20: vitest's transform does not reach worker
 * threads, and `execArgv: ['--import', 'tsx']` does not reach a worker's entry module either (it
 * fails with "Unknown file extension .ts"). So the worker starts scripts/ts-worker.mjs, which
 * registers tsx's loader (`tsx/esm/api`) in the thread and then imports the .ts script named in
 * `workerData.script`.
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openExchange } from '../../src/parallel/exchange-channel.js';
import { ExchangeError } from '../../src/parallel/exchange-error.js';
import type { ExchangeFrame } from '../../src/parallel/exchange-frame.js';
import { ExchangeReceiver } from '../../src/parallel/exchange-receiver.js';
import type { ExchangeSender, SendableFrame } from '../../src/parallel/exchange-sender.js';
import { UnsupportedExchangeValueError } from '../../src/parallel/exchange-values.js';
import { failOnWorkerFailure } from '../../src/parallel/worker-failure.js';
import { MessageChannel } from 'node:worker_threads';

const TS_WORKER = new URL('../../scripts/ts-worker.mjs', import.meta.url);
const RELAY = new URL('./fixtures/relay-worker.ts', import.meta.url).href;

interface Relay {
  worker: Worker;
  /** Main thread → worker. */
  toWorker: ExchangeSender<unknown>;
  /** Worker → main thread: every frame the worker took, sent back unchanged. */
  fromWorker: ExchangeReceiver<unknown>;
  /** What the worker reports after taking the end: frames taken, and the most that were ever queued at it. */
  summary: Promise<{ taken: number; mostQueued: number }>;
  exited: Promise<number>;
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function startRelay(options: { credits: number; delayMs?: number; failAfter?: number; exitAfter?: number }): Relay {
  const { sender: toWorker, port: input } = openExchange<unknown>({ credits: options.credits });
  const back = new MessageChannel();
  const worker = new Worker(TS_WORKER, {
    workerData: { ...options, script: RELAY, input, output: back.port2 },
    transferList: [input, back.port2],
  });
  workers.push(worker);
  const fromWorker = new ExchangeReceiver<unknown>(back.port1);
  failOnWorkerFailure(worker, [toWorker, fromWorker]);
  const summary = new Promise<{ taken: number; mostQueued: number }>((resolve) => worker.once('message', resolve));
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  return { worker, toWorker, fromWorker, summary, exited };
}

async function sendAll(sender: ExchangeSender<unknown>, frames: readonly SendableFrame<unknown>[]): Promise<void> {
  for (const frame of frames) {
    const wait = sender.send(frame);
    if (wait) await wait;
  }
}

async function receiveN(receiver: ExchangeReceiver<unknown>, n: number): Promise<ExchangeFrame<unknown>[]> {
  const out: ExchangeFrame<unknown>[] = [];
  while (out.length < n) out.push(await receiver.receive());
  return out;
}

/** A taxi Silver row, as the example's pipeline produces. */
function silverRow(i: number) {
  return {
    trip_id: `trip-${i}`,
    vendor_id: i % 3 === 0 ? null : 2,
    pickup_datetime: '2024-01-01T00:57:55',
    dropoff_datetime: '2024-01-01T01:17:43',
    pickup_date: '2024-01-01',
    pickup_ts: 1704088675000 + i,
    dropoff_ts: 1704089863000 + i,
    passenger_count: 1,
    trip_distance_miles: 1.72,
    rate_code_id: 1,
    store_and_fwd_flag: 'N' as const,
    pickup_location_id: 186,
    dropoff_location_id: 79,
    payment_type_id: 2,
    fare_amount: 17.7,
    extra_amount: 1,
    mta_tax: 0.5,
    tip_amount: 0,
    tolls_amount: 0,
    improvement_surcharge: 1,
    total_amount: 22.7,
    congestion_surcharge: 2.5,
    airport_fee: 0,
  };
}

const records = (from: number, n: number): SendableFrame<unknown> => {
  const values = Array.from({ length: n }, (_, i) => silverRow(from + i));
  return { kind: 'records', values, times: values.map((v) => v.pickup_ts) };
};

/**
 * Values the channel carries: JSON-like records with the extra scalars it supports (no null-prototype
 * objects here: they arrive with Object.prototype, checked on their own below).
 */
const value = fc.anything({
  withBigInt: true,
  withDate: true,
  withSparseArray: true,
  withNullPrototype: false,
  withBoxedValues: false,
  withMap: false,
  withSet: false,
  withTypedArray: false,
  withObjectString: false,
  maxDepth: 3,
});

const frame: fc.Arbitrary<SendableFrame<unknown>> = fc.oneof(
  fc.array(fc.tuple(value, fc.oneof(fc.integer(), fc.double({ noNaN: true }))), { maxLength: 30 }).map((pairs) => ({
    kind: 'records' as const,
    values: pairs.map(([v]) => v),
    times: pairs.map(([, t]) => t),
  })),
  fc.oneof(fc.integer(), fc.constant(-Infinity), fc.constant(Infinity)).map((time) => ({ kind: 'watermark' as const, time })),
  fc.nat().map((checkpointId) => ({ kind: 'barrier' as const, checkpointId })),
  fc.constant({ kind: 'idle' as const }),
  fc
    .record(
      {
        batch: fc.nat(),
        records: fc.array(fc.tuple(value, fc.integer()), { maxLength: 10 }),
        watermark: fc.integer(),
        checkpointId: fc.nat(),
        end: fc.constant(true as const),
      },
      { requiredKeys: ['batch', 'records'] },
    )
    .map(({ records: pairs, ...rest }) => ({
      kind: 'batch' as const,
      ...rest,
      values: pairs.map(([v]) => v),
      times: pairs.map(([, t]) => t),
    })),
);

describe('exchange channel between worker threads', () => {
  it('carries frames both ways in order and unchanged (property over random batches, watermarks, barriers, idle marks, batch frames)', async () => {
    const relay = startRelay({ credits: 3 });
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 40 }), async (frames) => {
        const [, back] = await Promise.all([sendAll(relay.toWorker, frames), receiveN(relay.fromWorker, frames.length)]);
        sent += frames.length;
        expect(back).toStrictEqual(frames);
      }),
      { numRuns: 60 },
    );
    await relay.toWorker.end();
    expect(await relay.fromWorker.receive()).toEqual({ kind: 'end' });
    expect(await relay.summary).toMatchObject({ taken: sent + 1 });
    expect(await relay.exited).toBe(0);
    expect(relay.toWorker.peakInFlight).toBeLessThanOrEqual(3);
  });

  it('bounds the frames in flight by the credits when the receiver is slow, and loses none', async () => {
    const credits = 4;
    const relay = startRelay({ credits, delayMs: 5 });
    const frames = Array.from({ length: 40 }, (_, i) => records(i * 64, 64));
    let waited = 0;
    const sending = (async () => {
      for (const f of frames) {
        expect(relay.toWorker.inFlight).toBeLessThanOrEqual(credits);
        const wait = relay.toWorker.send(f);
        if (wait) {
          waited++;
          await wait;
        }
      }
      await relay.toWorker.end();
    })();
    const back = await receiveN(relay.fromWorker, frames.length + 1);
    await sending;
    expect(back.slice(0, -1)).toStrictEqual(frames);
    expect(back.at(-1)).toEqual({ kind: 'end' });
    // The sender had to wait for credits, and never had more than `credits` frames out.
    expect(waited).toBeGreaterThan(frames.length / 2);
    expect(relay.toWorker.peakInFlight).toBe(credits);
    const summary = await relay.summary;
    expect(summary.taken).toBe(frames.length + 1);
    expect(summary.mostQueued).toBeLessThanOrEqual(credits);
    expect(summary.mostQueued).toBeGreaterThan(0);
  });

  it('sends synchronously while credits remain', async () => {
    const relay = startRelay({ credits: 5 });
    const results = Array.from({ length: 7 }, (_, i) => relay.toWorker.send({ kind: 'watermark', time: i }));
    expect(results.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(results[5]).toBeInstanceOf(Promise);
    expect(relay.toWorker.writable).toBe(false);
    await Promise.all(results);
    const back = await receiveN(relay.fromWorker, 7);
    expect(back.map((f) => (f.kind === 'watermark' ? f.time : -1))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await relay.toWorker.end();
    await relay.summary;
  });

  it('reports a worker that throws to both ends, with its error as the cause', async () => {
    const relay = startRelay({ credits: 2, failAfter: 3 });
    const sending = sendAll(
      relay.toWorker,
      Array.from({ length: 50 }, (_, i) => records(i, 8)),
    );
    const error = await sending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExchangeError);
    expect(error).toMatchObject({ reason: 'worker-failed' });
    expect(String((error as ExchangeError).cause)).toContain('relay failed on purpose after 3 frames');
    // The frames relayed before the failure are delivered; then the failure.
    const back: ExchangeFrame<unknown>[] = [];
    const failure = await (async () => {
      for (;;) back.push(await relay.fromWorker.receive());
    })().catch((e: unknown) => e);
    expect(failure).toMatchObject({ reason: 'worker-failed' });
    expect(back.length).toBeLessThanOrEqual(2);
    expect(await relay.exited).toBe(1);
    expect(() => relay.toWorker.send({ kind: 'idle' })).toThrow(ExchangeError);
  });

  it('reports a worker that exits without an end as a closed exchange', async () => {
    const relay = startRelay({ credits: 2, exitAfter: 2 });
    const sending = sendAll(
      relay.toWorker,
      Array.from({ length: 20 }, (_, i) => records(i, 4)),
    ).catch((e: unknown) => e);
    expect(await sending).toMatchObject({ reason: 'closed' });
    const failure = await receiveN(relay.fromWorker, 100).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExchangeError);
    expect(failure).toMatchObject({ reason: 'closed' });
    expect(await relay.exited).toBe(0);
  });
});

describe('exchange channel on one thread', () => {
  it('refuses values it cannot carry before sending anything, naming the record and the path', async () => {
    const { sender, port } = openExchange<unknown>({ credits: 2 });
    const receiver = new ExchangeReceiver<unknown>(port);
    const bad = [{ a: 1 }, { nested: { list: [1, new Map()] } }];
    expect(() => sender.send({ kind: 'records', values: bad, times: [0, 1] })).toThrow(UnsupportedExchangeValueError);
    expect(() => sender.send({ kind: 'records', values: bad, times: [0, 1] })).toThrow(
      /record 1 at \.nested\.list\[1\]: a Map \(a class instance\) cannot cross an exchange/,
    );
    expect(() => sender.send({ kind: 'records', values: [() => 1], times: [0] })).toThrow(/record 0: a function/);
    expect(() => sender.send({ kind: 'records', values: [Symbol('s')], times: [0] })).toThrow(/a symbol/);
    expect(() => sender.send({ kind: 'records', values: [new (class Trip {})()], times: [0] })).toThrow(/a Trip \(a class instance\)/);
    expect(() => sender.send({ kind: 'records', values: [Buffer.from('x')], times: [0] })).toThrow(/a Buffer/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => sender.send({ kind: 'records', values: [cycle], times: [0] })).toThrow(/deeper than 64 levels \(or a cycle\)/);
    expect(() => sender.send({ kind: 'records', values: [1, 2], times: [0] })).toThrow(TypeError);
    expect(() => sender.send({ kind: 'records', values: [1], times: [NaN] })).toThrow(/times\[0\] must be a number/);
    expect(() => sender.send({ kind: 'watermark', time: NaN })).toThrow(/watermark's time/);
    expect(() => sender.send({ kind: 'barrier', checkpointId: -1 })).toThrow(/checkpointId/);
    expect(() => sender.send({ kind: 'end' } as never)).toThrow(/end\(\)/);
    expect(() => sender.send({ kind: 'batch', batch: -1, values: [], times: [] })).toThrow(
      /a batch frame's batch must be a non-negative integer/,
    );
    expect(() => sender.send({ kind: 'batch', batch: 0, values: [1], times: [] })).toThrow(/a batch frame needs arrays values and times/);
    expect(() => sender.send({ kind: 'batch', batch: 0, values: [new Map()], times: [0] })).toThrow(UnsupportedExchangeValueError);
    expect(() => sender.send({ kind: 'batch', batch: 0, values: [], times: [], watermark: NaN })).toThrow(/watermark's time/);
    expect(() => sender.send({ kind: 'batch', batch: 0, values: [], times: [], checkpointId: 1.5 })).toThrow(/checkpointId/);
    expect(() => sender.send({ kind: 'batch', batch: 0, values: [], times: [], end: false } as never)).toThrow(/end is true or absent/);
    expect(sender.inFlight).toBe(0);
    // A null-prototype object and the scalars beside JSON arrive equal.
    const sparse = () => {
      const a: number[] = [1];
      a[2] = 3;
      return a;
    };
    const nullProto = Object.assign(Object.create(null) as object, { z: 1 });
    const values = [nullProto, { n: -0, nan: NaN, inf: -Infinity, big: 12n, when: new Date(5), u: undefined, sparse: sparse() }];
    sender.send({ kind: 'records', values, times: [1, 2] });
    const got = await receiver.receive();
    expect(got).toEqual({ kind: 'records', values, times: [1, 2] });
    if (got.kind !== 'records') throw new Error('not records');
    expect(Object.is((got.values[1] as { n: number }).n, -0)).toBe(true);
    expect(1 in (got.values[1] as { sparse: unknown[] }).sparse).toBe(false);
    await Promise.all([sender.end(), receiver.receive()]);
    expect(receiver.tryReceive()).toEqual({ kind: 'end' });
  });

  it('lets a receiver drain what has arrived without waiting, and returns those credits in one message', async () => {
    const { sender, port } = openExchange<unknown>({ credits: 4 });
    const receiver = new ExchangeReceiver<unknown>(port);
    for (let i = 0; i < 4; i++) sender.send({ kind: 'barrier', checkpointId: i });
    expect(sender.writable).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(receiver.queued).toBe(4);
    const taken: unknown[] = [];
    for (let f = receiver.tryReceive(); f !== undefined; f = receiver.tryReceive()) taken.push(f);
    expect(taken).toHaveLength(4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sender.inFlight).toBe(0);
    expect(sender.writable).toBe(true);
    await Promise.all([sender.end(), receiver.receive()]);
  });

  it('fails the sender when the receiving side closes before the end', async () => {
    const { sender, port } = openExchange<unknown>({ credits: 1 });
    sender.send({ kind: 'idle' });
    const blocked = sender.send({ kind: 'idle' });
    port.close();
    await expect(blocked).rejects.toMatchObject({ reason: 'closed' });
    expect(() => sender.send({ kind: 'idle' })).toThrow(/receiving side closed the exchange with 1 frames not taken/);
  });

  it('validates credits', () => {
    const { port1, port2 } = new MessageChannel();
    expect(() => openExchange({ credits: 0 })).toThrow(RangeError);
    expect(() => openExchange({ credits: 1.5 })).toThrow(/credits must be a positive integer/);
    port1.close();
    port2.close();
  });
});
