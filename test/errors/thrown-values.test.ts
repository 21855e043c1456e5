/**
 * Whatever a user function throws becomes a dead letter with a readable reason, never a failed
 * job: describeError renders any value without throwing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeError, describeValue, isStreamkitError, rejectionReason, RecordRejected, StreamkitError } from '../../src/core/errors.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/index.js';
import { fromArray, fromJsonl } from '../../src/sources/index.js';
import { session, tumbling } from '../../src/windowing/index.js';
import type { Aggregator } from '../../src/windowing/types.js';
import { boundedOutOfOrderness } from '../../src/watermarks/index.js';

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Values that break `String(value)`, `${value}`, `instanceof` or property reads. */
function hostileValues(): Array<[string, unknown]> {
  const throwingToString = {
    toString() {
      throw new Error('no text for you');
    },
  };
  const throwingGetters = new Error('hidden');
  Object.defineProperty(throwingGetters, 'message', {
    get() {
      throw new Error('message getter');
    },
  });
  Object.defineProperty(throwingGetters, 'name', {
    get() {
      throw new Error('name getter');
    },
  });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  Object.defineProperty(cyclic, 'toString', { value: undefined });
  const trapsThrow = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
    },
  );
  const objectMessage = new Error('x');
  (objectMessage as { message: unknown }).message = Object.create(null);
  return [
    ['Object.create(null)', Object.create(null)],
    ['a throwing toString', throwingToString],
    ['a revoked Proxy', revokedProxy()],
    ['a Proxy whose traps throw', trapsThrow],
    ['an Error whose name and message getters throw', throwingGetters],
    ['an Error whose message is an object without toString', objectMessage],
    ['a cycle without toString', cyclic],
    ['a symbol', Symbol('s')],
    ['a bigint', 12n],
    ['undefined', undefined],
    ['null', null],
    ['a function', () => 1],
    ['a Symbol wrapper object', Object(Symbol('w'))],
    ['an Error from another realm', runInNewContext('new TypeError("elsewhere")')],
  ];
}

describe('describeError', () => {
  it.each(hostileValues())('renders %s without throwing', (_, value) => {
    const text = describeError(value);
    expect(typeof text).toBe('string');
    expect(text.length).toBeGreaterThan(0);
    expect(rejectionReason(value, '1-map')).toBe(`1-map threw ${text}`);
  });

  it('says what each hostile value is', () => {
    const text = Object.fromEntries(hostileValues().map(([name, value]) => [name, describeError(value)]));
    expect(text['Object.create(null)']).toBe('thrown value: {}');
    expect(text['a throwing toString']).toBe('thrown value: {}');
    expect(text['a revoked Proxy']).toBe('thrown value: a Proxy that cannot be read (revoked, or a trap throws)');
    expect(text['a Proxy whose traps throw']).toBe('thrown value: a Proxy that cannot be read (revoked, or a trap throws)');
    expect(text['an Error whose name and message getters throw']).toBe('Error: undefined');
    expect(text['an Error whose message is an object without toString']).toBe('Error: {}');
    expect(text['a cycle without toString']).toBe('thrown value: an object that cannot be converted to text');
    expect(text['a symbol']).toBe('thrown value: Symbol(s)');
    expect(text['a bigint']).toBe('thrown value: 12');
    expect(text['an Error from another realm']).toBe('TypeError: elsewhere');
  });

  it('keeps the text of ordinary errors and values', () => {
    expect(describeError(new RangeError('too big'))).toBe('RangeError: too big');
    expect(describeError('boom')).toBe('thrown value: boom');
    expect(describeError(42)).toBe('thrown value: 42');
    expect(describeError({ code: 7 })).toBe('thrown value: {"code":7}');
    expect(describeValue({ big: 'x'.repeat(2_000) })).toHaveLength(501);
  });

  it('property: never throws and always gives text, for anything fast-check can build', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true }), (value) => {
        expect(typeof describeError(value)).toBe('string');
        expect(typeof describeValue(value)).toBe('string');
      }),
    );
  });

  it('a RecordRejected keeps its own reason', () => {
    expect(rejectionReason(new RecordRejected('missing fare'), '2-map')).toBe('missing fare');
  });
});

describe('a hostile thrown value is a dead letter, never a failed job', () => {
  it.each(hostileValues())('%s thrown from map, filter, flatMap, keyBy and the timestamp extractor', async (_, value) => {
    /** The identity, except that it throws `value` for `bad`. */
    const throwsAt = (bad: number) => (x: number) => {
      if (x === bad) throw value;
      return x;
    };
    const dead = toArray<DeadLetter>();
    const out = toArray<number>();
    const summary = await from(fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
      .map(throwsAt(1))
      .filter((x) => throwsAt(2)(x) > 0)
      .flatMap((x) => [throwsAt(3)(x)])
      .keyBy(throwsAt(4))
      .withTimestamps(throwsAt(5))
      .deadLetters(dead)
      .to(out)
      .run();
    expect(summary.deadLetters).toBe(5);
    expect(out.items).toEqual([6, 7, 8, 9, 10]);
    expect(dead.items.map((d) => d.position?.offset)).toEqual([0, 1, 2, 3, 4]);
    for (const letter of dead.items) {
      expect(letter.reason).toMatch(/ threw /);
      expect(letter.reason).toContain(describeError(value));
    }
  });

  it('fromJsonl: a parse function that throws a hostile value makes the line a dead letter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamkit-thrown-'));
    const path = join(dir, 'in.jsonl');
    writeFileSync(path, '1\n2\n3\n');
    const dead = toArray<DeadLetter>();
    const out = toArray<number>();
    await from(
      fromJsonl<number>(path, {
        parse: (line) => {
          if (line === '2') throw revokedProxy();
          return JSON.parse(line);
        },
      }),
    )
      .deadLetters(dead)
      .to(out)
      .run();
    expect(out.items).toEqual([1, 3]);
    expect(dead.items).toEqual([
      {
        reason: 'unparseable line: thrown value: a Proxy that cannot be read (revoked, or a trap throws)',
        raw: '2',
        position: { partition: 0, offset: 2 },
        operator: 'source',
      },
    ]);
  });
});

describe('a hostile thrown value where it fails the job', () => {
  it('isStreamkitError answers for any value, also one instanceof throws on', () => {
    expect(isStreamkitError(new StreamkitError('SINK_FAILED', 'x'))).toBe(true);
    for (const [, value] of hostileValues()) expect(isStreamkitError(value)).toBe(false);
  });

  /** Rejects with what the job failed with. */
  async function failure(job: Promise<unknown>): Promise<unknown> {
    return job.then(
      () => 'resolved',
      (error: unknown) => error,
    );
  }

  it.each(hostileValues())(
    "%s thrown by a custom operator, or by an aggregator's merge or result: a StreamkitError naming who threw it",
    async (_, value) => {
      const thrower = () => ({
        name: 'thrower',
        processBatch: () => {
          throw value;
        },
      });
      const operator = await failure(
        from(fromArray([1, 2]))
          .process(thrower)
          .to(toArray())
          .run(),
      );
      expect(operator).toBeInstanceOf(StreamkitError);
      expect((operator as StreamkitError).code).toBe('USER_FUNCTION_FAILED');
      expect((operator as Error).message).toBe(`operator 0-thrower failed: ${describeError(value)}`);

      const failing = (fn: 'merge' | 'result'): Aggregator<number, number, number> => ({
        create: () => 0,
        add: (a) => a + 1,
        merge: (a, b) => {
          if (fn === 'merge') throw value;
          return a + b;
        },
        result: (a) => {
          if (fn === 'result') throw value;
          return a;
        },
      });
      for (const [fn, assigner] of [
        ['merge', session(10)],
        ['result', tumbling(10)],
      ] as const) {
        const error = await failure(
          from(fromArray([0, 20, 10], { batchSize: 1 }))
            .withTimestamps((t) => t, boundedOutOfOrderness(100))
            .window(assigner)
            .aggregate(failing(fn))
            .to(toArray())
            .run(),
        );
        expect(error).toBeInstanceOf(StreamkitError);
        expect((error as Error).message).toBe(`window#0: the aggregator's ${fn} failed: ${describeError(value)}`);
      }
    },
  );
});
