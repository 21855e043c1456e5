/**
 * The messages of the mistakes people make most often. Each must name the option or call that is
 * wrong and say what to do instead, because the message is all a user sees at 3 a.m.
 */
import { describe, expect, it } from 'vitest';
import {
  afterCount,
  boundedOutOfOrderness,
  count,
  createLogger,
  from,
  fromArray,
  fromKafka,
  global,
  hopping,
  memoryState,
  PipelineError,
  session,
  sliding,
  StreamkitError,
  sum,
  toArray,
  tumbling,
  type Sink,
} from '../../src/index.js';

const items = [{ at: 1_000, fare: 2 }];
const stamped = () => from(fromArray(items)).withTimestamps((e) => e.at);

/** The error a call throws (synchronously or as a rejected promise). */
async function errorOf(call: () => unknown): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('error messages name the option and the fix', () => {
  it('window before withTimestamps: a PipelineError saying which call to add, before the run', async () => {
    const error = await errorOf(() =>
      from(fromArray(items))
        .keyBy((e) => e.fare)
        .window(tumbling('5m')),
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as StreamkitError).code).toBe('PIPELINE_INVALID');
    expect(error.message).toBe(
      "window(tumbling(300000ms)) needs event time: call .withTimestamps(record => record.time, boundedOutOfOrderness('…')) before .window()",
    );
    const dedup = await errorOf(() => from(fromArray(items)).dedup((e) => e.at, { within: '1h' }));
    expect(dedup).toBeInstanceOf(PipelineError);
    expect(dedup.message).toMatch(/call \.withTimestamps\(…\) before \.dedup\(\)/);
  });

  it.each([
    ['5 min', () => tumbling('5 min' as never), 'tumbling size'],
    ['5mins', () => tumbling('5mins' as never), 'tumbling size'],
    ['5 min', () => session('5 min' as never), 'session gap'],
    ['30 sec', () => boundedOutOfOrderness('30 sec' as never), 'boundedOutOfOrderness(maxDelay)'],
    [
      '1 hour',
      () =>
        stamped()
          .window(tumbling('1m'), { allowedLateness: '1 hour' as never })
          .aggregate(count()),
      'allowedLateness',
    ],
    ['5 seconds', () => from(fromArray(items)).run({ state: memoryState(), checkpointEvery: '5 seconds' as never }), 'checkpointEvery'],
  ])('duration typo %j: a TypeError quoting the text, naming the option and the valid forms', async (text, call, option) => {
    const error = await errorOf(call);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      `${option}: cannot parse duration "${text}"; use a number of ms or parts like '250ms', '30s', '5m', '1h', '1d' (e.g. '1h30m')`,
    );
  });

  it('negative durations: a TypeError naming the option and the rule; a RangeError for window lengths', async () => {
    const delay = await errorOf(() => boundedOutOfOrderness(-1));
    expect(delay).toBeInstanceOf(TypeError);
    expect(delay.message).toBe('boundedOutOfOrderness(maxDelay) must be a non-negative finite number of milliseconds, got -1');
    for (const [call, option] of [
      [() => tumbling(-1), 'tumbling size'],
      [() => session(-1), 'session gap'],
    ] as const) {
      const error = await errorOf(call);
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toBe(`${option} must be > 0, got -1`);
    }
    const zero = await errorOf(() => sliding(0));
    expect(zero).toBeInstanceOf(RangeError);
    expect(zero.message).toBe('sliding size must be > 0, got 0');
  });

  it('global() without a trigger: says why it would fire only at the end and which triggers to pass', async () => {
    const error = await errorOf(() => stamped().window(global()).aggregate(count()));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^window: global\(\) windows never reach the end of event time/);
    expect(error.message).toMatch(/pass trigger: afterCount\(n\) or afterProcessingTime\(d\)$/);
    // With a trigger it builds.
    expect(() =>
      stamped()
        .window(global(), { trigger: afterCount(10) })
        .aggregate(count()),
    ).not.toThrow();
  });

  it('hopping with hop > size: states the broken invariant with both values', async () => {
    const error = await errorOf(() => hopping('1m', '5m'));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('hopping: parameters must satisfy hop <= size, got hop 300000 ms and size 60000 ms');
  });

  it('bad timeZone: quotes the zone and says what is expected', async () => {
    const error = await errorOf(() => tumbling('1d', { timeZone: 'Europe/Berlinn' }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('tumbling: timeZone "Europe/Berlinn" is not an IANA time zone known to this runtime');
    const size = await errorOf(() => tumbling('7m', { timeZone: 'Europe/Berlin' }));
    expect(size.message).toBe(
      'tumbling size must be whole hours dividing a day (1h, 2h, 3h, 4h, 6h, 8h, 12h) or whole days when timeZone is set, got 420000 ms',
    );
  });

  it('checkpointEvery without state: says to pass a state backend, and how', async () => {
    const error = await errorOf(() => from(fromArray(items)).to(toArray()).run({ checkpointEvery: '5s' }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      'checkpointEvery needs a state backend: pass run({ state: memoryState() | levelState(dir), checkpointEvery })',
    );
  });

  it('to() with something that is not a sink: names the call and the sinks to use', async () => {
    for (const notASink of [[], (x: unknown) => x, 'out.jsonl', null, { items: [] }]) {
      const error = await errorOf(() => from(fromArray(items)).to(notASink as unknown as Sink));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('to(sink): expected a sink with write(items), such as toArray(), toJsonl(path) or toLevel(dir)');
    }
    const late = await errorOf(() => from(fromArray(items)).late([] as never));
    expect(late.message).toMatch(/^late\(sink\): expected a sink with write\(items\)/);
    const dead = await errorOf(() => from(fromArray(items)).deadLetters({} as never));
    expect(dead.message).toMatch(/^deadLetters\(sink\): expected a sink with write\(items\)/);
  });

  it('a non-integer batchSize: a RangeError naming where it was passed and the rule', async () => {
    const run = await errorOf(() => from(fromArray(items)).to(toArray()).run({ batchSize: 1.5 }));
    expect(run).toBeInstanceOf(RangeError);
    expect(run.message).toBe('batchSize must be a positive integer, got 1.5');
    const source = await errorOf(() => fromArray(items, { batchSize: 0.5 }));
    expect(source).toBeInstanceOf(RangeError);
    expect(source.message).toBe('fromArray: batchSize must be a positive integer, got 0.5');
    const zero = await errorOf(() => from(fromArray(items)).to(toArray()).run({ batchSize: 0 }));
    expect(zero.message).toBe('batchSize must be a positive integer, got 0');
  });

  it('window option typos: the unknown name and the valid ones', async () => {
    const option = await errorOf(() =>
      stamped()
        .window(tumbling('1m'), { allowedLatenes: '1m' } as never)
        .aggregate(count()),
    );
    expect(option).toBeInstanceOf(TypeError);
    expect(option.message).toBe("window: unknown option 'allowedLatenes'; the options are trigger, allowedLateness and mode");
    const mode = await errorOf(() =>
      stamped()
        .window(tumbling('1m'), { mode: 'accumulate' as never })
        .aggregate(count()),
    );
    expect(mode.message).toBe(`window: mode must be 'accumulating', 'discarding' or 'retracting', got "accumulate"`);
  });

  it('aggregators given a field name instead of a selector: say a function is expected', async () => {
    const error = await errorOf(() => sum('fare' as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('sum: selector must be a function (record => value), got string');
  });

  it('a field name where a function is expected: names the call and says a function is expected', async () => {
    const stamp = await errorOf(() => from(fromArray(items)).withTimestamps('at' as never));
    expect(stamp).toBeInstanceOf(TypeError);
    expect(stamp.message).toBe('withTimestamps(timeOf): expected a function, got string');
    const key = await errorOf(() => from(fromArray(items)).keyBy('fare' as never));
    expect(key.message).toBe('keyBy(keyOf): expected a function, got string');
    const strategy = await errorOf(() => from(fromArray(items)).withTimestamps((e) => e.at, '30s' as never));
    expect(strategy.message).toBe('withTimestamps(timeOf, strategy): strategy must be boundedOutOfOrderness(delay) or monotonic()');
    const source = await errorOf(() => from(items as never));
    expect(source.message).toBe(
      'from(source): expected a source such as fromArray(items), fromIterable(it), fromJsonl(path) or fromKafka({…})',
    );
    const assigner = await errorOf(() =>
      from(fromArray(items))
        .withTimestamps((e) => e.at)
        .window('5m' as never),
    );
    expect(assigner.message).toBe('window(assigner): expected tumbling(…), hopping(…), sliding(…), session(…) or global()');
  });

  it('run options out of range: name the option and the allowed range', async () => {
    const run = (options: object) => errorOf(() => from(fromArray(items)).to(toArray()).run(options));
    expect((await run({ credits: 0 })).message).toBe('credits must be a positive integer, got 0');
    expect((await run({ metrics: { port: -1 } })).message).toBe('metrics.port must be an integer from 0 to 65535, got -1');
    expect((await run({ state: memoryState(), checkpointEvery: { records: 0 } })).message).toBe(
      'checkpointEvery.records must be a positive integer, got 0',
    );
    const offset = await errorOf(() => tumbling('5m', { offset: '5m' }));
    expect(offset.message).toBe('tumbling: parameters must satisfy abs(offset) < size, got offset 300000 ms and size 300000 ms');
  });

  it('a missing Kafka option: names it before anything connects', async () => {
    const error = await errorOf(() => fromKafka({ brokers: ['127.0.0.1:1'], topic: 'trips' } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fromKafka: option "groupId" must be a non-empty string');
  });

  it('an unreachable broker: run() rejects with BROKER_UNREACHABLE naming the address, and the job releases its metrics port', async () => {
    const events: string[] = [];
    const job = from(
      fromKafka({
        brokers: ['127.0.0.1:1'],
        topic: 'trips',
        groupId: 'g',
        retry: { retries: 1 },
        connectionTimeout: 500,
        logger: createLogger({ level: 'silent' }),
      }),
    )
      .to(toArray())
      .run({ metrics: { port: 0 }, onEvent: (e) => events.push(e.type === 'metrics.server.listening' ? `${e.type}:${e.port}` : e.type) });
    const error = await errorOf(() => job);
    expect(error).toBeInstanceOf(StreamkitError);
    expect((error as StreamkitError).code).toBe('BROKER_UNREACHABLE');
    expect((error as StreamkitError).retriable).toBe(true);
    expect(error.message).toMatch(/^fromKafka\(trips\): cannot reach Kafka brokers 127\.0\.0\.1:1 after 2 attempts: .*ECONNREFUSED/);
    expect(events.map((e) => e.split(':')[0])).toEqual(['metrics.server.listening', 'job.failed']);
    const port = Number(events[0].split(':')[1]);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
