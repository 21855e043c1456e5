import { describe, expect, it } from 'vitest';
import { StateError, StreamkitError } from '../../src/core/errors.js';
import { listState, mapState, valueState, type ProcessContext, type TimerContext, type ValueState } from '../../src/process/index.js';
import { ProcessKeyedState } from '../../src/process/process-keyed-state.js';
import { HeapProcessStorage } from '../../src/process/process-storage.js';
import { keyedState } from '../../src/state/keyed-state-service.js';
import { MapStateWriter } from '../windowing/operator-harness.js';
import { ProcessHarness } from './process-harness.js';

/** Contexts with untyped state: these tests drive the operator, the typed API is tested in the pipeline tests. */
type Ctx = Omit<ProcessContext<any, Record<string, never>, unknown>, 'state'> & { state: any };
type TCtx = Omit<TimerContext<any, Record<string, never>, unknown>, 'state'> & { state: any };

/** Registers a timer at the record's value (a time) and emits `fired <key>` from the timer. */
function timerAt() {
  return {
    onRecord(at: number, ctx: Ctx) {
      ctx.timers.atEventTime(at);
    },
    onTimer(time: number, ctx: TCtx) {
      ctx.emit(`${ctx.timeDomain} ${String(ctx.key)}@${time} W=${ctx.watermark}`);
    },
  };
}

describe('keyed process operator: event-time timers', () => {
  it('fires a timer once the watermark reaches its time (W >= T), not before', () => {
    const h = new ProcessHarness(timerAt());
    h.add(['a', 1, 50]);
    h.watermark(49);
    expect(h.values()).toEqual([]);
    h.watermark(50);
    expect(h.values()).toEqual(['event a@50 W=50']);
    expect(h.events).toEqual(['W 49', 'E 50 "event a@50 W=50"', 'W 50']);
  });

  it('fires the timers of one watermark advance in time order, ties in key-text order, whatever the registration order', () => {
    const h = new ProcessHarness(timerAt());
    h.add(['b', 1, 30], ['a', 2, 30], ['c', 3, 10], ['a', 4, 20]);
    h.watermark(100);
    expect(h.values()).toEqual(['event c@10 W=100', 'event a@20 W=100', 'event a@30 W=100', 'event b@30 W=100']);
    expect(h.emitted.map((e) => e.time)).toEqual([10, 20, 30, 30]);
  });

  it('keeps one timer per key and time: registering it twice fires it once', () => {
    const h = new ProcessHarness(timerAt());
    h.add(['a', 1, 30], ['a', 2, 30], ['b', 3, 30]);
    h.add(['a', 4, 30]);
    expect(h.op.timersPending).toBe(2);
    h.watermark(30);
    expect(h.values()).toEqual(['event a@30 W=30', 'event b@30 W=30']);
    h.add(['a', 31, 30]);
    h.watermark(31);
    // Registered again after it fired, behind the watermark: a new timer, due at the next advance.
    h.watermark(32);
    expect(h.values()).toHaveLength(3);
  });

  it('deleteEventTime removes a pending timer of the current key only', () => {
    const h = new ProcessHarness({
      onRecord(cmd: string, ctx: Ctx) {
        const [verb, at] = cmd.split(' ');
        if (verb === 'set') ctx.timers.atEventTime(Number(at));
        else ctx.timers.deleteEventTime(Number(at));
      },
      onTimer(time: number, ctx: TCtx) {
        ctx.emit(`${String(ctx.key)}@${time}`);
      },
    });
    h.add(['a', 1, 'set 10'], ['b', 1, 'set 10'], ['a', 2, 'set 20'], ['b', 3, 'del 20'], ['a', 4, 'del 10']);
    h.watermark(Infinity);
    expect(h.values()).toEqual(['b@10', 'a@20']);
  });

  it('a timer registered behind the watermark fires at the next advance, as in Flink', () => {
    const h = new ProcessHarness(timerAt());
    h.watermark(100);
    h.add(['a', 101, 5]);
    expect(h.values()).toEqual([]);
    h.watermark(101);
    expect(h.values()).toEqual(['event a@5 W=101']);
  });

  it('timers registered in onTimer for times the watermark passed fire in the same advance', () => {
    const h = new ProcessHarness({
      onRecord(at: number, ctx: Ctx) {
        ctx.timers.atEventTime(at);
      },
      onTimer(time: number, ctx: TCtx) {
        ctx.emit(time);
        if (time < 40) ctx.timers.atEventTime(time + 10);
      },
    });
    h.add(['a', 0, 10]);
    h.watermark(35);
    expect(h.values()).toEqual([10, 20, 30]);
    h.watermark(Infinity);
    expect(h.values()).toEqual([10, 20, 30, 40]);
  });

  it('at the end of the input fires every pending timer, and stops a timer that re-arms itself past the latest one', () => {
    const h = new ProcessHarness({
      onRecord(at: number, ctx: Ctx) {
        ctx.timers.atEventTime(at);
      },
      onTimer(time: number, ctx: TCtx) {
        ctx.emit(`${String(ctx.key)}@${time}`);
        ctx.timers.atEventTime(time + 25);
      },
    });
    h.add(['a', 0, 10], ['b', 0, 50]);
    h.watermark(Infinity);
    // a: 10, 35 (then 60 > 50, the latest timer pending at the end); b: 50.
    expect(h.values()).toEqual(['a@10', 'a@35', 'b@50']);
    expect(h.op.timersPending).toBe(0);
    expect(h.events.at(-1)).toBe('W Infinity');
  });

  it('rejects a timer time that is not a safe integer, sending the record to the dead letters', () => {
    const h = new ProcessHarness(timerAt());
    h.add(['a', 1, 1.5], ['a', 2, Number.NaN], ['a', 3, 7]);
    expect(h.dead.map((d) => d.reason)).toEqual([
      '1-process onRecord threw TypeError: ctx.timers.atEventTime(time): time must be a safe integer of epoch ms, got 1.5',
      '1-process onRecord threw TypeError: ctx.timers.atEventTime(time): time must be a safe integer of epoch ms, got NaN',
    ]);
    expect(h.op.timersPending).toBe(1);
  });
});

describe('keyed process operator: processing-time timers', () => {
  it('fire at the first tick at or after their time on the injected clock, in time then key order', () => {
    const h = new ProcessHarness({
      onRecord(at: number, ctx: Ctx) {
        ctx.timers.atProcessingTime(at);
        if (at === 300) ctx.timers.deleteProcessingTime(300);
      },
      onTimer(time: number, ctx: TCtx) {
        ctx.emit(`${ctx.timeDomain} ${String(ctx.key)}@${time} now=${ctx.timers.currentProcessingTime()}`);
      },
    });
    h.add(['b', 1, 200], ['a', 2, 200], ['a', 3, 100], ['c', 4, 300]);
    h.tick(99);
    expect(h.values()).toEqual([]);
    h.tick(250);
    expect(h.values()).toEqual(['processing a@100 now=250', 'processing a@200 now=250', 'processing b@200 now=250']);
    expect(h.emitted.map((e) => [e.time, e.position])).toEqual([
      [100, -1],
      [200, -1],
      [200, -1],
    ]);
    h.tick(1000);
    expect(h.values()).toHaveLength(3);
  });

  it('are not fired by the watermark, and are dropped at the end of the input', () => {
    const h = new ProcessHarness({
      onRecord(at: number, ctx: Ctx) {
        ctx.timers.atProcessingTime(at);
      },
      onTimer(time: number, ctx: TCtx) {
        ctx.emit(time);
      },
    });
    h.add(['a', 1, 10]);
    h.watermark(1000);
    expect(h.values()).toEqual([]);
    h.watermark(Infinity);
    h.tick(100);
    expect(h.values()).toEqual([]);
  });
});

describe('keyed process operator: records, emitted records and lateness', () => {
  it('emits with the record time and position from onRecord, before forwarding the watermark', () => {
    const h = new ProcessHarness({
      onRecord(value: string, ctx: Ctx) {
        ctx.emit(`${String(ctx.key)}:${value}`);
        ctx.emit(`${String(ctx.key)}:${value}!`);
      },
    });
    h.add(['a', 10, 'x'], ['b', 5, 'y']);
    expect(h.emitted).toEqual([
      { value: 'a:x', time: 10, position: 0 },
      { value: 'a:x!', time: 10, position: 0 },
      { value: 'b:y', time: 5, position: 1 },
      { value: 'b:y!', time: 5, position: 1 },
    ]);
  });

  it('gives late records (behind the watermark) to onRecord, with the watermark to tell them apart', () => {
    const h = new ProcessHarness({
      onRecord(_value: unknown, ctx: Ctx) {
        ctx.emit(ctx.timestamp <= ctx.watermark ? 'late' : 'on time');
      },
    });
    h.watermark(100);
    h.add(['a', 50], ['a', 101]);
    expect(h.values()).toEqual(['late', 'on time']);
  });

  it('sends records with a bad event time or an unencodable key to the dead letters and goes on', () => {
    const h = new ProcessHarness({
      onRecord(_v: unknown, ctx: Ctx) {
        ctx.emit('ok');
      },
    });
    h.add(['a', Number.NaN, 1], [Symbol('k'), 2, 2], [new Map(), 3, 3], ['a', 4, 4]);
    expect(h.values()).toEqual(['ok']);
    expect(h.dead.map((d) => [d.reason.replace(/:.*$/, ''), d.raw, d.position, d.operator])).toEqual([
      ['event time must be a finite integer of epoch ms, got NaN', 1, { partition: 0, offset: 0 }, '1-process'],
      ['1-process', 2, { partition: 0, offset: 1 }, '1-process'],
      ['1-process', 3, { partition: 0, offset: 2 }, '1-process'],
    ]);
    expect(h.dead[1].reason).toMatch(/the record's key cannot be a key: UnencodableKeyError: a symbol/);
  });
});

describe('keyed process operator: typed state', () => {
  const spec = {
    state: { n: valueState<number>(), seen: mapState<unknown, number>(), buffer: listState<string>() },
    onRecord(cmd: [string, unknown?, unknown?], ctx: Ctx) {
      const s = ctx.state;
      const [op, a, b] = cmd;
      if (op === 'inc') s.n.set((s.n.get() ?? 0) + 1);
      else if (op === 'put') s.seen.set(a, b as number);
      else if (op === 'del') s.seen.delete(a);
      else if (op === 'add') s.buffer.add(a as string);
      else if (op === 'update') s.buffer.update(a as string[]);
      else if (op === 'clear') {
        s.n.clear();
        s.seen.clear();
        s.buffer.clear();
      } else if (op === 'show') {
        ctx.emit({ n: s.n.get(), seen: [...s.seen.entries()], size: s.seen.size, has: s.seen.has(a), buffer: [...s.buffer.get()] });
      }
    },
  };

  it('keeps value, map and list state per key', () => {
    const h = new ProcessHarness(spec);
    h.add(['a', 1, ['inc']], ['a', 2, ['inc']], ['b', 3, ['inc']]);
    h.add(['a', 4, ['put', { zone: 7 }, 1]], ['a', 5, ['put', 'x', 2]], ['a', 6, ['put', 'x', 3]], ['b', 7, ['put', 'y', 4]]);
    h.add(['a', 8, ['add', 'p']], ['a', 9, ['add', 'q']], ['b', 10, ['update', ['r', 's']]]);
    h.add(['a', 11, ['show', 'x']], ['b', 12, ['show', 'x']], ['c', 13, ['show']]);
    expect(h.values()).toEqual([
      {
        n: 2,
        // In the order of the map keys' texts: '"x"' before '{"zone":7}'.
        seen: [
          ['x', 3],
          [{ zone: 7 }, 1],
        ],
        size: 2,
        has: true,
        buffer: ['p', 'q'],
      },
      { n: 1, seen: [['y', 4]], size: 1, has: false, buffer: ['r', 's'] },
      { n: undefined, seen: [], size: 0, has: false, buffer: [] },
    ]);
    expect(h.op.keysWithState).toBe(2);
    h.add(['a', 14, ['clear']], ['b', 15, ['del', 'y']]);
    expect(h.op.keysWithState).toBe(1);
    h.add(['b', 16, ['clear']]);
    expect(h.op.keysWithState).toBe(0);
  });

  it('rejects a value that cannot be a state value, naming the call and the value, and keeps the record as a dead letter', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const h = new ProcessHarness({
      state: { v: valueState<unknown>(), m: mapState<unknown, unknown>(), l: listState<unknown>() },
      onRecord([where, value]: [string, unknown], ctx: Ctx) {
        if (where === 'v') ctx.state.v.set(value);
        else if (where === 'm') ctx.state.m.set('k', value);
        else ctx.state.l.add(value);
      },
    });
    h.add(
      ['a', 1, ['v', () => 1]],
      ['a', 2, ['v', Symbol('s')]],
      ['a', 3, ['m', cyclic]],
      ['a', 4, ['l', new Point(1)]],
      ['a', 5, ['v', undefined]],
      ['a', 6, ['v', { at: new Date(0), tags: new Set(['x']), sub: new Map([[1, [null, 2n]]]) }]],
    );
    expect(h.dead.map((d) => d.reason)).toEqual([
      '1-process onRecord threw TypeError: state v.set: a function cannot be a state value (checkpoints store plain data)',
      '1-process onRecord threw TypeError: state v.set: a symbol (Symbol(s)) cannot be a state value (checkpoints store plain data)',
      '1-process onRecord threw TypeError: state m.set: a value that contains itself (a cycle) cannot be a state value (checkpoints store plain data)',
      '1-process onRecord threw TypeError: state l.add: a Point (a class instance) cannot be a state value (checkpoints store plain data)',
      '1-process onRecord threw TypeError: state v.set: undefined is not a state value; call clear() to remove a value',
    ]);
    expect(h.op.keysWithState).toBe(1);
  });

  it('rolls back every state, timer and emit of an onRecord call that throws, and keeps the calls before it', () => {
    const h = new ProcessHarness(
      {
        state: { n: valueState<number>(), m: mapState<string, number>(), l: listState<number>() },
        onRecord(cmd: string, ctx: Ctx) {
          const s = ctx.state;
          s.n.set((s.n.get() ?? 0) + 1);
          s.m.set(cmd, s.n.get()!);
          if (cmd === 'first') {
            s.m.set('keep', 0);
            ctx.timers.atEventTime(500);
          } else {
            s.m.delete('keep');
            ctx.timers.deleteEventTime(500);
          }
          s.l.add(s.n.get()!);
          if (cmd === 'replace') s.l.update([99]);
          ctx.timers.atEventTime(1000 + s.n.get()!);
          ctx.emit(`n=${s.n.get()}`);
          if (cmd.startsWith('fail')) throw new Error(`no ${cmd}`);
        },
        onTimer(time: number, ctx: TCtx) {
          ctx.emit(
            `t${time} n=${ctx.state.n.get()} m=${JSON.stringify([...ctx.state.m.entries()])} l=${JSON.stringify(ctx.state.l.get())}`,
          );
        },
      },
      { ttl: 10_000 },
    );
    h.add(['a', 1, 'first']);
    // 'keep' and timer 500 exist before the failing calls, so their removal must be undone too.
    const before = h.snapshot().entries();
    h.add(['a', 2, 'fail1'], ['a', 3, 'fail2']);
    h.add(['a', 50_000, 'fail-late-write']);
    expect(h.snapshot().entries()).toEqual(before);
    expect(h.dead.map((d) => d.reason)).toEqual([
      '1-process onRecord threw Error: no fail1',
      '1-process onRecord threw Error: no fail2',
      '1-process onRecord threw Error: no fail-late-write',
    ]);
    h.add(['a', 4, 'replace']);
    h.watermark(Infinity);
    expect(h.values()).toEqual([
      'n=1',
      'n=2',
      't1001 n=2 m=[["first",1],["replace",2]] l=[99]',
      't1002 n=2 m=[["first",1],["replace",2]] l=[99]',
    ]);
  });

  it('undoes an in-place list append of a failed call without copying the list', () => {
    const h = new ProcessHarness({
      state: { l: listState<number>() },
      onRecord(x: number, ctx: Ctx) {
        ctx.state.l.add(x);
        ctx.state.l.add(x + 1);
        if (x < 0) throw new Error('negative');
        ctx.emit([...ctx.state.l.get()]);
      },
    });
    h.add(['a', 1, 1], ['a', 2, -5], ['a', 3, 10]);
    expect(h.values()).toEqual([
      [1, 2],
      [1, 2, 10, 11],
    ]);
  });

  it('hands out a list that later appends do not change, and rolls back appends made after handing it out', () => {
    const h = new ProcessHarness({
      state: { l: listState<number>() },
      onRecord(x: number, ctx: Ctx) {
        ctx.state.l.add(x);
        const seen = ctx.state.l.get();
        ctx.state.l.add(x + 1);
        if (x < 0) throw new Error('negative');
        ctx.emit(seen);
        expect(() => (seen as number[]).push(0)).toThrow(TypeError);
      },
    });
    h.add(['a', 1, 1], ['a', 2, -5], ['a', 3, 10]);
    h.add(['b', 4, -1]);
    expect(h.values()).toEqual([[1], [1, 2, 10]]);
    expect(h.snapshot().entries()).toEqual([
      ['p1/l/l/"a"', [1, 2, 10, 11]],
      ['p1/m', { watermark: -Infinity, state: 'l:list;ttl=none' }],
    ]);
  });
});

describe('keyed process operator: failures in onTimer', () => {
  it('fails the job with USER_FUNCTION_FAILED naming the operator, the key and the time', () => {
    const h = new ProcessHarness({
      onRecord(at: number, ctx: Ctx) {
        ctx.timers.atEventTime(at);
      },
      onTimer() {
        throw new RangeError('boom');
      },
    });
    h.add([{ zone: 7 }, 1, 20]);
    let error: unknown;
    try {
      h.watermark(30);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamkitError);
    expect((error as StreamkitError).code).toBe('USER_FUNCTION_FAILED');
    expect((error as Error).message).toBe('1-process: onTimer failed for key {"zone":7} at event time 20: RangeError: boom');
    expect((error as Error).cause).toBeInstanceOf(RangeError);
  });
});

describe('keyed process operator: TTL by event time', () => {
  const counter = {
    state: { n: valueState<number>(), tags: mapState<string, boolean>(), l: listState<number>() },
    onRecord(cmd: string, ctx: Ctx) {
      if (cmd === 'read') {
        ctx.emit(`${String(ctx.key)} n=${ctx.state.n.get()} tags=${ctx.state.tags.size} l=${ctx.state.l.get().length}`);
        return;
      }
      ctx.state.n.set((ctx.state.n.get() ?? 0) + 1);
      ctx.state.tags.set(cmd, true);
      ctx.state.l.add(ctx.timestamp);
    },
  };

  it("clears a key's state once the watermark reaches its last write + ttl", () => {
    const h = new ProcessHarness(counter, { ttl: 100 });
    h.add(['a', 10, 'x'], ['b', 50, 'y']);
    h.watermark(109);
    h.add(['a', 0, 'read'], ['b', 0, 'read']);
    h.watermark(110);
    h.add(['a', 0, 'read'], ['b', 0, 'read']);
    expect(h.values()).toEqual(['a n=1 tags=1 l=1', 'b n=1 tags=1 l=1', 'a n=undefined tags=0 l=0', 'b n=1 tags=1 l=1']);
    expect(h.op.keysWithState).toBe(1);
    const keys = [...h.snapshot().store.keys()];
    expect(keys.some((k) => k.includes('"a"'))).toBe(false);
  });

  it('a write refreshes the time to live; a read does not; an older (out-of-order) write does not shorten it', () => {
    const h = new ProcessHarness(counter, { ttl: 100 });
    h.add(['a', 10, 'x']);
    h.add(['a', 80, 'y'], ['a', 20, 'z']);
    h.watermark(170);
    h.add(['a', 175, 'read']);
    h.watermark(179);
    h.add(['a', 0, 'read']);
    h.watermark(180);
    h.add(['a', 0, 'read']);
    expect(h.values()).toEqual(['a n=3 tags=3 l=3', 'a n=3 tags=3 l=3', 'a n=undefined tags=0 l=0']);
  });

  it('runs expiries and timers in event-time order within one watermark advance, expiry first at a tie, for any watermark steps', () => {
    const run = (watermarks: number[]) => {
      const h = new ProcessHarness(
        {
          state: { n: valueState<number>() },
          onRecord(at: number, ctx: Ctx) {
            ctx.state.n.set(1);
            ctx.timers.atEventTime(at);
          },
          onTimer(time: number, ctx: TCtx) {
            ctx.emit(`${time}:${ctx.state.n.get()}`);
          },
        },
        { ttl: 100 },
      );
      h.add(['a', 0, 50], ['b', 0, 100], ['c', 0, 150]);
      for (const w of watermarks) h.watermark(w);
      return h.values();
    };
    const expected = ['50:1', '100:undefined', '150:undefined'];
    expect(run([200])).toEqual(expected);
    expect(run([60, 99, 100, 200])).toEqual(expected);
    expect(run([Infinity])).toEqual(expected);
  });

  it('queues one expiry per key however often it is written, moving it when it comes due', () => {
    const descriptors = { n: valueState<number>() };
    const state = new ProcessKeyedState(new HeapProcessStorage(keyedState('process', 'p1'), descriptors, 100), descriptors, 100);
    const n = state.handles.n as ValueState<number>;
    state.keyText = '"a"';
    for (let t = 0; t < 1000; t++) {
      state.writeTime = t;
      n.set(t);
    }
    expect(state.expiriesQueued).toBe(1);
    expect(state.nextExpiry()).toBe(100);
    state.expireAt(100);
    expect(n.get()).toBe(999);
    expect(state.nextExpiry()).toBe(1099);
    state.expireAt(1099);
    expect(n.get()).toBeUndefined();
    expect(state.expiriesQueued).toBe(0);
  });

  it('a write in an event-time timer counts at the timer time', () => {
    const h = new ProcessHarness(
      {
        state: { n: valueState<number>() },
        onRecord(at: number, ctx: Ctx) {
          ctx.timers.atEventTime(at);
        },
        onTimer(time: number, ctx: TCtx) {
          ctx.state.n.set(time);
        },
      },
      { ttl: 100 },
    );
    h.add(['a', 0, 500]);
    h.watermark(599);
    expect(h.op.keysWithState).toBe(1);
    h.watermark(600);
    expect(h.op.keysWithState).toBe(0);
  });
});

describe('keyed process operator: checkpoints', () => {
  const spec = {
    state: { n: valueState<number>(), m: mapState<unknown, string>(), l: listState<number>() },
    onRecord(x: number, ctx: Ctx) {
      ctx.state.n.set((ctx.state.n.get() ?? 0) + x);
      ctx.state.m.set([x, 'a/b"c'], `v${x}`);
      ctx.state.l.add(x);
      ctx.timers.atEventTime(ctx.timestamp + 10);
      ctx.timers.atProcessingTime(1000 + x);
    },
    onTimer(time: number, ctx: TCtx) {
      ctx.emit(
        `${ctx.timeDomain} ${JSON.stringify(ctx.key)}@${time} n=${ctx.state.n.get()} m=${JSON.stringify([...ctx.state.m.entries()])} l=${JSON.stringify(ctx.state.l.get())}`,
      );
    },
  };

  it('writes the documented layout', () => {
    const h = new ProcessHarness(spec, { ttl: '1h' });
    h.add(['a/"x', 5, 2]);
    expect(h.snapshot().entries()).toEqual([
      ['p1/e/800000000000000f/"a/\\"x"', 1],
      ['p1/k/m/"a/\\"x"/[2,"a/b\\"c"]', 'v2'],
      ['p1/l/l/"a/\\"x"', [2]],
      ['p1/m', { watermark: -Infinity, state: 'l:list,m:map,n:value;ttl=3600000' }],
      ['p1/p/80000000000003ea/"a/\\"x"', 1],
      ['p1/v/n/"a/\\"x"', 2],
      ['p1/x/"a/\\"x"', 5],
    ]);
    expect(h.op.stateDescription).toBe('l:list,m:map,n:value;ttl=3600000');
    expect(h.op.stateFingerprint).toEqual({ layout: 'p1', ttl: '3600000ms' });
  });

  it('restores state, timers of both domains, last writes and the watermark, and continues exactly as the original', () => {
    const drive = (h: ProcessHarness, part: 1 | 2 | 3) => {
      if (part === 1) {
        h.add(['a', 5, 2], [{ k: 1 }, 6, 3]);
        h.watermark(10);
      } else if (part === 2) {
        h.add(['a', 7, 4]);
        h.watermark(15);
      } else {
        h.add(['a', 20, 1]);
        h.tick(1003);
        h.watermark(Infinity);
      }
    };
    const original = new ProcessHarness(spec, { ttl: 1000 });
    const store = new MapStateWriter();
    drive(original, 1);
    original.op.snapshotState(store, true);
    drive(original, 2);
    // An incremental snapshot on top of the full one: the store then holds the state as of now.
    original.op.snapshotState(store, false);
    const emittedBefore = original.values().length;
    const copy = new ProcessHarness(spec, { ttl: 1000 });
    copy.op.restoreState(store.entries());
    drive(original, 3);
    drive(copy, 3);
    expect(copy.values()).toEqual(original.values().slice(emittedBefore));
    // Map entries in the order of their key texts, in the original run as in the restored one.
    const a = 'n=7 m=[[[1,"a/b\\"c"],"v1"],[[2,"a/b\\"c"],"v2"],[[4,"a/b\\"c"],"v4"]] l=[2,4,1]';
    const k = 'n=3 m=[[[3,"a/b\\"c"],"v3"]] l=[3]';
    expect(copy.values()).toEqual([
      `processing "a"@1001 ${a}`,
      `processing "a"@1002 ${a}`,
      `processing {"k":1}@1003 ${k}`,
      `event {"k":1}@16 ${k}`,
      `event "a"@17 ${a}`,
      `event "a"@30 ${a}`,
    ]);
  });

  it('incremental snapshots write only what changed, deletes included', () => {
    const h = new ProcessHarness(spec, { ttl: 100 });
    const store = new MapStateWriter();
    h.add(['a', 5, 2], ['b', 6, 3]);
    h.op.snapshotState(store, false);
    const puts = store.puts;
    h.add(['a', 7, 1]);
    h.op.snapshotState(store, false);
    // a's value, list, map entry, event timer, processing timer and last write; the meta did not change.
    expect(store.puts - puts).toBe(6);
    h.watermark(200);
    store.deletes = 0;
    h.op.snapshotState(store, false);
    expect(store.deletes).toBeGreaterThan(0);
    const fresh = new ProcessHarness(spec, { ttl: 100 });
    fresh.op.restoreState(store.entries());
    expect(fresh.op.keysWithState).toBe(0);
    expect([...store.store.keys()].sort()).toEqual([
      'p1/m',
      'p1/p/80000000000003e9/"a"',
      'p1/p/80000000000003ea/"a"',
      'p1/p/80000000000003eb/"b"',
    ]);
  });

  it('refuses a checkpoint written for other state declarations or another ttl, and accepts a new state', () => {
    const h = new ProcessHarness(spec, { ttl: 1000 });
    h.add(['a', 5, 2]);
    const entries = h.snapshot().entries();
    const restoreInto = (s: object, ttl?: number) => () =>
      new ProcessHarness(s as typeof spec, ttl === undefined ? {} : { ttl }).op.restoreState(entries);
    expect(restoreInto({ ...spec, state: { ...spec.state, n: listState() } }, 1000)).toThrow(
      /1-process: the checkpoint's process state does not fit this pipeline: state "n" was a value state and is now a list state/,
    );
    expect(restoreInto({ ...spec, state: { n: spec.state.n, l: spec.state.l } }, 1000)).toThrow(
      /it holds state "m" \(map\), which is no longer declared/,
    );
    expect(restoreInto(spec)).toThrow(/its ttl was 1000 and is now none/);
    expect(restoreInto(spec)).toThrow(StateError);
    expect(restoreInto({ ...spec, state: { ...spec.state, extra: valueState() } }, 1000)).not.toThrow();
  });

  it('refuses a damaged checkpoint with STATE_CORRUPT', () => {
    const fresh = () => new ProcessHarness(spec);
    const meta: [string, unknown] = ['p1/m', { watermark: 0, state: 'l:list,m:map,n:value;ttl=none' }];
    const corrupt = (entries: Array<[string, unknown]>) => {
      try {
        fresh().op.restoreState(entries);
      } catch (error) {
        return (error as StateError).code;
      }
      return 'restored';
    };
    expect(corrupt([meta, ['p1/e/zz/"a"', 1]])).toBe('STATE_CORRUPT');
    expect(corrupt([meta, ['p1/l/l/"a"', 'not a list']])).toBe('STATE_CORRUPT');
    expect(corrupt([meta, ['p1/k/m/"a"', 'no map key']])).toBe('STATE_CORRUPT');
    expect(corrupt([meta, ['p1/e/8000000000000001/not a key', 1]])).toBe('STATE_CORRUPT');
    expect(corrupt([['p1/m', { watermark: 'x' }]])).toBe('STATE_CORRUPT');
    expect(corrupt([['p1/v/n/"a"', 1]])).toBe('STATE_CORRUPT');
    expect(corrupt([meta, ['w2/m', {}]])).toBe('STATE_INCOMPATIBLE');
    expect(corrupt([meta, ['p1/v/n/"a"', 1]])).toBe('restored');
  });
});

describe('keyed process operator: metrics and validation', () => {
  it('reports keys with state and timers pending as gauges under the operator uid', () => {
    const h = new ProcessHarness({
      state: { n: valueState<number>() },
      onRecord(at: number, ctx: Ctx) {
        ctx.state.n.set(at);
        ctx.timers.atEventTime(at);
      },
    });
    h.add(['a', 1, 10], ['b', 2, 20], ['b', 3, 30]);
    expect(h.metrics.get('process_keys', { operator: '1-process' })).toBe(2);
    expect(h.metrics.get('process_timers', { operator: '1-process' })).toBe(3);
    h.watermark(20);
    expect(h.metrics.get('process_timers', { operator: '1-process' })).toBe(1);
    h.watermark(Infinity);
    expect(h.metrics.get('process_keys', { operator: '1-process' })).toBe(0);
  });

  it('checks the spec and options where they are written', () => {
    const ok = { onRecord() {} };
    expect(() => new ProcessHarness(null as never)).toThrow(/process\(spec\): expected \{ state\?, onRecord/);
    expect(() => new ProcessHarness({} as never)).toThrow(/onRecord must be a function/);
    expect(() => new ProcessHarness({ ...ok, onTimer: 1 } as never)).toThrow(/onTimer must be a function/);
    expect(() => new ProcessHarness({ ...ok, onRecrod() {} } as never)).toThrow(/unknown option "onRecrod"/);
    expect(() => new ProcessHarness({ ...ok, state: { 'a/b': valueState() } })).toThrow(/state name "a\/b" must be an identifier/);
    expect(() => new ProcessHarness({ ...ok, state: { a: { kind: 'set' } } } as never)).toThrow(
      /state a must be valueState\(\), mapState\(\) or listState\(\)/,
    );
    expect(() => new ProcessHarness(ok, { ttl: 0 })).toThrow(RangeError);
    expect(() => new ProcessHarness(ok, { ttl: '5 min' })).toThrow(/process ttl: cannot parse duration/);
    expect(() => new ProcessHarness(ok, { tll: '1h' } as never)).toThrow(/unknown option "tll"/);
  });
});
