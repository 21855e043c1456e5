import { describe, expect, it } from 'vitest';
import type { WindowResult } from '../../src/core/window.js';
import { count, sum, collect } from '../../src/windowing/aggregators/index.js';
import { global } from '../../src/windowing/global.js';
import { hopping } from '../../src/windowing/hopping.js';
import { resultId } from '../../src/windowing/result-id.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount, afterProcessingTime, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { Aggregator, WindowOptions, WindowAssigner } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import { Harness, MapStateWriter, type Rec } from './operator-harness.js';
import { METRICS } from '../../src/core/metric-catalogue.js';

function harness(assigner: WindowAssigner, options: WindowOptions = {}, agg: Aggregator = sum(), keyed = true): Harness {
  return new Harness(windowOperator({ assigner, ...options }, agg), keyed);
}

describe('window bounds and the on-time pane', () => {
  it('puts t in [s, s + size) and fires once W reaches end - 1, before forwarding W', () => {
    const h = harness(tumbling(10));
    h.add(['a', 0], ['a', 9], ['a', 10]);
    h.watermark(8);
    expect(h.results).toEqual([]);
    h.watermark(9);
    expect(h.events).toEqual(['W 8', 'R "a" [0,10) 9 #0 on-time', 'W 9']);
    expect(h.resultTimes).toEqual([9]);
    h.watermark(19);
    expect(h.rows()).toEqual(['"a" [0,10) 9 #0 on-time', '"a" [10,20) 10 #0 on-time']);
    expect(h.resultTimes).toEqual([9, 19]);
  });

  it('keeps keys apart and uses key null without keyBy', () => {
    const h = harness(tumbling(10));
    h.add(['a', 1], ['b', 2], ['a', 3]).watermark(9);
    expect(h.rows().sort()).toEqual(['"a" [0,10) 4 #0 on-time', '"b" [0,10) 2 #0 on-time']);
    const u = harness(tumbling(10), {}, count(), false);
    u.add([undefined, 1], [undefined, 2]).watermark(100);
    expect(u.rows()).toEqual(['null [0,10) 2 #0 on-time']);
  });

  it('treats object keys by value and number and string keys as distinct', () => {
    const h = harness(tumbling(10), {}, count());
    h.add([{ zone: 1, vendor: 'a' }, 1], [{ zone: 1, vendor: 'a' }, 2], [1, 3], ['1', 4], [null, 5]).watermark(9);
    expect(h.results.map((r) => [r.key, r.value])).toEqual([
      [{ zone: 1, vendor: 'a' }, 2],
      [1, 1],
      ['1', 1],
      [null, 1],
    ]);
    expect(h.results[0].id).toBe(resultId('{"zone":1,"vendor":"a"}', 0, 10, 0, false));
    expect(new Set(h.results.map((r) => r.id)).size).toBe(4);
  });

  it('fires only windows that have records: no empty panes', () => {
    const h = harness(tumbling(10), { trigger: onWatermark({ early: afterProcessingTime(5) }) });
    h.add(['a', 25]);
    h.watermark(1000);
    h.tick(1_000_000);
    expect(h.rows()).toEqual(['"a" [20,30) 25 #0 on-time']);
  });

  it('gives the on-time pane index 0 when the watermark jumps past the end', () => {
    const h = harness(tumbling(10), { trigger: onWatermark({ early: afterCount(5) }) });
    h.add(['a', 1], ['a', 2]).watermark(500);
    expect(h.rows()).toEqual(['"a" [0,10) 3 #0 on-time']);
  });

  it('gives results frozen window and pane values, shared by the keys of one window', () => {
    const h = harness(hopping(10, 5), { trigger: onWatermark({ late: afterCount(1) }), allowedLateness: 100 });
    h.add(['a', 7], ['b', 8]).watermark(20);
    h.add(['a', 9]);
    const [a0, b0] = h.results.filter((r) => r.window.start === 5);
    expect(a0.window).toEqual({ start: 5, end: 15 });
    expect(a0.window).toBe(b0.window);
    expect(a0.pane).toBe(b0.pane);
    const late = h.results.find((r) => r.pane.index === 1)!;
    expect(late.pane).toEqual({ index: 1, timing: 'late' });
    for (const r of h.results) {
      expect(Object.isFrozen(r.window) && Object.isFrozen(r.pane)).toBe(true);
      expect(() => ((r.window as { start: number }).start = 0)).toThrow(TypeError);
    }
  });

  it('sends records with a bad event time to dead letters', () => {
    const op = windowOperator({ assigner: tumbling(10) }, count());
    const h = new Harness(op);
    op.processBatch(
      { values: ['x', 'y', 'z', 'w'], times: [Number.NaN, 1.5, 3, Infinity], keys: [1, 1, 1, 1], positions: [7, 8, 9, 10], partition: 2 },
      h.out,
    );
    h.watermark(100);
    expect(h.rows()).toEqual(['1 [0,10) 1 #0 on-time']);
    expect(h.dead.map((d) => [d.raw, d.position])).toEqual([
      ['x', { partition: 2, offset: 7 }],
      ['y', { partition: 2, offset: 8 }],
      ['w', { partition: 2, offset: 10 }],
    ]);
    expect(h.dead[0].reason).toMatch(/finite integer/);
    op.processBatch({ values: ['v'], positions: [0], partition: 0 }, h.out);
    expect(h.dead[3].reason).toMatch(/withTimestamps/);
  });
});

describe('early panes', () => {
  it('afterCount(n) fires a speculative pane every n records before the watermark', () => {
    const h = harness(tumbling(10), { trigger: onWatermark({ early: afterCount(2) }) });
    h.add(['a', 1], ['a', 2], ['a', 3]);
    expect(h.rows()).toEqual(['"a" [0,10) 3 #0 early']);
    h.watermark(9);
    expect(h.rows()).toEqual(['"a" [0,10) 3 #0 early', '"a" [0,10) 6 #1 on-time']);
  });

  it('afterProcessingTime(d) fires d after the first unfired record, on the injected clock', () => {
    const h = harness(tumbling(10), { trigger: onWatermark({ early: afterProcessingTime('100ms') }) });
    h.clock = 1000;
    h.add(['a', 1]);
    h.tick(1050).add(['a', 2]).tick(1099);
    expect(h.results).toEqual([]);
    h.tick(1100);
    expect(h.rows()).toEqual(['"a" [0,10) 3 #0 early']);
    h.tick(5000);
    expect(h.results).toHaveLength(1);
    h.add(['a', 4]).tick(5100).watermark(9);
    // Nothing new since the last early pane: no (empty) on-time pane.
    expect(h.rows()).toEqual(['"a" [0,10) 3 #0 early', '"a" [0,10) 7 #1 early']);
  });
});

describe('lateness', () => {
  it('adds a late record within allowedLateness and fires one late pane per late record', () => {
    const h = harness(tumbling(10), { allowedLateness: 5 });
    h.add(['a', 1]).watermark(9);
    h.add(['a', 2], ['a', 3]);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 on-time', '"a" [0,10) 3 #1 late', '"a" [0,10) 6 #2 late']);
    expect(h.late).toEqual([]);
  });

  it('drops records for expired windows to the late output, with the window and watermark', () => {
    const h = harness(tumbling(10), { allowedLateness: 5 });
    h.add(['a', 1]).watermark(14);
    h.add(['a', 4, 'rec']);
    expect(h.late).toEqual([{ record: 'rec', window: { start: 0, end: 10 }, watermark: 14 }]);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 on-time']);
  });

  it('with allowedLateness 0 a record at or before W is late for its closed window', () => {
    const h = harness(tumbling(10));
    h.add(['a', 1]).watermark(9).add(['a', 9], ['a', 10]).watermark(19);
    expect(h.late.map((l) => l.record)).toEqual([9]);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 on-time', '"a" [10,20) 10 #0 on-time']);
  });

  it('batches late panes with late: afterCount(n) and flushes the rest when the window expires', () => {
    const h = harness(tumbling(10), { allowedLateness: 100, trigger: onWatermark({ late: afterCount(2) }) });
    h.add(['a', 1]).watermark(9).add(['a', 2], ['a', 3], ['a', 4]);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 on-time', '"a" [0,10) 6 #1 late']);
    h.watermark(109);
    expect(h.rows().at(-1)).toBe('"a" [0,10) 10 #2 late');
  });

  it('a window first created by a record within lateness fires its on-time pane at once, index 0', () => {
    const h = harness(tumbling(10), { allowedLateness: 100 });
    h.watermark(50).add(['a', 5]);
    expect(h.rows()).toEqual(['"a" [0,10) 5 #0 on-time']);
  });

  it('a hopping record can be late for one window and on time for another', () => {
    const h = harness(hopping(10, 5), {}, count());
    h.add(['a', 3]).watermark(14);
    h.add(['a', 12, 'r12']);
    expect(h.late).toEqual([{ record: 'r12', window: { start: 5, end: 15 }, watermark: 14 }]);
    h.watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [-5,5) 1 #0 on-time', '"a" [0,10) 1 #0 on-time', '"a" [10,20) 1 #0 on-time']);
  });
});

describe('calendar windows', () => {
  it('keeps windows that share a start but not an end apart (a DST gap), through a restore', () => {
    // 2024-03-10 07:00Z is 03:00 EDT, right after the skipped 02:00 local hour in New York.
    const t = Date.UTC(2024, 2, 10, 7);
    const options = { allowedLateness: 0 };
    const h = harness(hopping('2h', '1h', { timeZone: 'America/New_York' }), options, count());
    h.add(['a', t], ['a', t + 1]);
    const w = new MapStateWriter();
    h.op.snapshotState!(w, true);
    const restored = harness(hopping('2h', '1h', { timeZone: 'America/New_York' }), options, count());
    restored.op.restoreState!(w.entries());
    restored.add(['a', t + 2]).watermark(Infinity);
    const hour = 3_600_000;
    expect(restored.results.map((r) => [r.window.start - t, r.window.end - t, r.value])).toEqual([
      [0, hour, 3],
      [0, 2 * hour, 3],
    ]);
  });
});

describe('sessions', () => {
  it('merges overlapping and touching sessions into their union', () => {
    const h = harness(session(10), {}, count());
    h.add(['a', 0], ['a', 10], ['a', 30], ['b', 5]);
    h.watermark(Infinity);
    expect(h.rows().sort()).toEqual(['"a" [0,20) 2 #0 on-time', '"a" [30,40) 1 #0 on-time', '"b" [5,15) 1 #0 on-time']);
  });

  it('a late record bridging two fired sessions merges them into a new window (retracting both)', () => {
    const h = harness(session(10), { allowedLateness: 100, mode: 'retracting' }, count());
    h.add(['a', 0], ['a', 20]).watermark(35);
    h.add(['a', 10]);
    expect(h.rows()).toEqual([
      '"a" [0,10) 1 #0 on-time',
      '"a" [20,30) 1 #0 on-time',
      '"a" [0,10) 1 #0 on-time R',
      '"a" [20,30) 1 #0 on-time R',
      '"a" [0,30) 3 #0 on-time',
    ]);
    h.add(['a', 5]).watermark(Infinity);
    expect(h.rows().slice(5)).toEqual(['"a" [0,30) 3 #0 on-time R', '"a" [0,30) 4 #1 late']);
    // Retractions cancel: sum of values with retractions negated is the final value.
    expect(h.results.reduce((s, r) => s + (r.retraction ? -1 : 1) * (r.value as number), 0)).toBe(4);
  });

  it('a record for an expired session gap goes to the late output with its own window', () => {
    const h = harness(session(10), { allowedLateness: 5 }, count());
    h.add(['a', 100]).watermark(200).add(['a', 50, 'x']);
    expect(h.late).toEqual([{ record: 'x', window: { start: 50, end: 60 }, watermark: 200 }]);
  });
  it('a fired session stays mergeable until W passes its end: a record at its end joins it', () => {
    const h = harness(session(12), {}, count());
    h.add(['a', 0]).add(['b', 12]).watermark(11).add(['a', 12]).watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [0,12) 1 #0 on-time', '"b" [12,24) 1 #0 on-time', '"a" [0,24) 2 #0 on-time']);
    expect(h.late).toEqual([]);
  });

  it('discarding: a merged session holds only what its parts had not emitted', () => {
    const h = harness(session(10), { allowedLateness: 100, mode: 'discarding' }, count());
    h.add(['a', 0], ['a', 3]).watermark(20).add(['a', 13]).watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [0,13) 2 #0 on-time', '"a" [0,23) 1 #0 on-time']);
  });
});

describe('sliding windows', () => {
  it('creates the record-entering and record-leaving windows, one result per distinct start', () => {
    const h = harness(sliding(10), {}, collect());
    h.add(['a', 0], ['a', 5]).watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [-9,1) [0] #0 on-time', '"a" [-4,6) [0,5] #0 on-time', '"a" [1,11) [5] #0 on-time']);
  });

  it('a late record goes to the late output for its expired sliding windows and into the others', () => {
    const h = harness(sliding(10), { allowedLateness: 5 }, collect());
    h.add(['a', 0], ['a', 20]).watermark(13);
    // 8 belongs to [-1,9) (left window, expired at W = 8 + 5) and [1,11) (right window of 0, live until 15).
    h.add(['a', 8]).watermark(Infinity);
    expect(h.late).toEqual([{ record: 8, window: { start: -1, end: 9 }, watermark: 13 }]);
    expect(h.rows()).toEqual(['"a" [-9,1) [0] #0 on-time', '"a" [1,11) [8] #0 on-time', '"a" [11,21) [20] #0 on-time']);
  });

  it('is independent of arrival order', () => {
    const a = harness(sliding(10), { allowedLateness: 1000 }, count());
    a.add(['k', 3], ['k', 12], ['k', 7], ['k', 20]).watermark(Infinity);
    const b = harness(sliding(10), { allowedLateness: 1000 }, count());
    b.add(['k', 20]).add(['k', 3]).add(['k', 7], ['k', 12]).watermark(Infinity);
    const last = (h: Harness) => {
      const m = new Map<string, unknown>();
      for (const r of h.results) m.set(`${r.window.start}`, r.value);
      return [...m.entries()].sort();
    };
    expect(last(b)).toEqual(last(a));
  });
});

describe('accumulation modes', () => {
  const early1 = onWatermark({ early: afterCount(1) });

  it('accumulating: each pane holds everything so far', () => {
    const h = harness(tumbling(10), { trigger: early1 });
    h.add(['a', 1]).add(['a', 2]).add(['a', 3]).watermark(9);
    expect(h.results.map((r) => r.value)).toEqual([1, 3, 6]);
  });

  it('discarding: each pane holds only what came since the previous one', () => {
    const h = harness(tumbling(10), { trigger: early1, mode: 'discarding', allowedLateness: 10 });
    h.add(['a', 1]).add(['a', 2]).watermark(9).add(['a', 3]);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 early', '"a" [0,10) 2 #1 early', '"a" [0,10) 3 #2 late']);
  });

  it('retracting: before each new pane, the previous pane retracted with its own pane info', () => {
    const h = harness(tumbling(10), { trigger: early1, mode: 'retracting' });
    h.add(['a', 1]).add(['a', 2]).watermark(9);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 early', '"a" [0,10) 1 #0 early R', '"a" [0,10) 3 #1 early']);
    expect(h.results[1].id).not.toBe(h.results[0].id);
    expect(h.results[1].id).toBe(resultId('"a"', 0, 10, 0, true));
  });
});

describe('count and processing-time triggers', () => {
  it('global() with afterCount(n) fires every n records and a final pane at the end of input', () => {
    const h = harness(global(), { trigger: afterCount(2) });
    h.add(['a', 1], ['a', 2], ['a', 3], ['a', 4], ['a', 5]);
    expect(h.results.map((r) => [r.value, r.pane.index, r.pane.timing])).toEqual([
      [3, 0, 'early'],
      [10, 1, 'early'],
    ]);
    h.watermark(Infinity);
    expect(h.results.map((r) => [r.value, r.pane.index, r.pane.timing]).at(-1)).toEqual([15, 2, 'on-time']);
    expect(h.results[0].window).toEqual({ start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER });
  });

  it('global() with afterProcessingTime(d) fires on ticks', () => {
    const h = harness(global(), { trigger: afterProcessingTime(10) });
    h.add(['a', 1]).tick(9);
    expect(h.results).toEqual([]);
    h.tick(10).add(['a', 2]).tick(15).tick(20);
    expect(h.results.map((r) => r.value)).toEqual([1, 3]);
  });

  it('late: afterProcessingTime(d) batches late panes on the clock', () => {
    const h = harness(tumbling(10), { allowedLateness: 100, trigger: onWatermark({ late: afterProcessingTime(50) }) });
    h.add(['a', 1]).watermark(9);
    h.clock = 1000;
    h.add(['a', 2]).add(['a', 3]).tick(1049);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 on-time']);
    h.tick(1050);
    expect(h.rows()).toEqual(['"a" [0,10) 1 #0 on-time', '"a" [0,10) 6 #1 late']);
  });

  it('a processing-time pane pending at a checkpoint fires after restore, on the new clock', () => {
    const options = { trigger: onWatermark({ early: afterProcessingTime(100) }) };
    const h = harness(tumbling(10), options);
    h.clock = 5000;
    h.add(['a', 1], ['a', 2]);
    const w = new MapStateWriter();
    h.op.snapshotState!(w, true);
    const restored = harness(tumbling(10), options);
    restored.op.restoreState!(w.entries());
    restored.tick(10);
    expect(restored.results).toEqual([]);
    restored.tick(110);
    expect(restored.rows()).toEqual(['"a" [0,10) 3 #0 early']);
  });

  it('gauges live windows in the metrics, labelled with the operator uid, and counts nothing the runtime counts', () => {
    const h = harness(tumbling(10));
    h.add(['a', 1], ['b', 2], ['a', 15]);
    expect(h.metrics.get(METRICS.windowStateWindows, { operator: '1-window' })).toBe(3);
    h.watermark(9).add(['a', 3]);
    expect(h.results).toHaveLength(2);
    expect(h.late).toHaveLength(1);
    expect(h.metrics.get(METRICS.windowStateWindows, { operator: '1-window' })).toBe(1);
    h.watermark(Infinity);
    expect(h.metrics.get(METRICS.windowStateWindows, { operator: '1-window' })).toBe(0);
    // Panes and late records are counted where they leave the operator (records_out, records_late): once.
    expect(h.metrics.snapshot().map((s) => s.name)).toEqual([METRICS.windowStateWindows.name]);
  });

  it('global() with the watermark trigger is a configuration error naming the fix', () => {
    expect(() => windowOperator({ assigner: global() }, count())).toThrow(TypeError);
    expect(() => windowOperator({ assigner: global() }, count())).toThrow(/trigger: afterCount\(n\) or afterProcessingTime\(d\)/);
    expect(() => windowOperator({ assigner: global(), trigger: onWatermark() }, count())).toThrow(TypeError);
  });

  it('validates options at construction', () => {
    expect(() => windowOperator({ assigner: tumbling(10), mode: 'sometimes' as never }, count())).toThrow(/mode/);
    expect(() => windowOperator({ assigner: tumbling(10), allowedLateness: '5 minutes' }, count())).toThrow(/allowedLateness/);
    expect(() => windowOperator({ assigner: tumbling(10), lateness: 5 } as never, count())).toThrow(/unknown option 'lateness'/);
    expect(() => windowOperator({ assigner: tumbling(10) }, {} as never)).toThrow(/aggregator/);
    expect(() => afterCount(0)).toThrow(RangeError);
    expect(() => afterProcessingTime('soon')).toThrow(TypeError);
    expect(() => onWatermark({ early: 3 as never })).toThrow(/early/);
  });
});

describe('end of input', () => {
  it('W = +Infinity fires every window, forwards the watermark and leaves no state', () => {
    const h = harness(tumbling(10), { allowedLateness: 1000, trigger: onWatermark({ early: afterCount(100) }) });
    h.add(['a', 1], ['b', 15], ['a', 27]).watermark(Infinity);
    expect(h.rows().sort()).toEqual(['"a" [0,10) 1 #0 on-time', '"a" [20,30) 27 #0 on-time', '"b" [10,20) 15 #0 on-time']);
    expect(h.watermarks).toEqual([Infinity]);
    const w = new MapStateWriter();
    h.op.snapshotState!(w, true);
    expect([...w.store.keys()]).toEqual(['w2/m']);
  });
});

describe('result ids', () => {
  it('are a pinned function of (key, window, pane index, retraction)', () => {
    // Pinned forever: sinks upsert by these ids across versions and restarts.
    expect(resultId('"a"', 0, 10, 0, false)).toBe(resultId('"a"', 0, 10, 0, false));
    expect(resultId('"a"', 0, 10, 0, false)).toMatch(/^[0-9a-f]{32}$/);
    expect(resultId('null', 0, 60000, 0, false)).toBe('31b8433de4e929d0e18c576b48c317b2');
    expect(resultId('"zone-7"', 0, 300000, 1, true)).toBe('6ef05b898147f531adb463f432cbb0f8');
    const h = harness(tumbling(10));
    h.add(['a', 1]).watermark(9);
    expect(h.results[0].id).toBe(resultId('"a"', 0, 10, 0, false));
  });

  it('are the same in every run and differ between panes', () => {
    const run = () => {
      const h = harness(tumbling(10), { trigger: onWatermark({ early: afterCount(1) }), mode: 'retracting' });
      h.add([{ zone: 1 }, 1])
        .add([{ zone: 1 }, 2])
        .add([2, 3])
        .watermark(Infinity);
      return h.results.map((r) => r.id);
    };
    const ids = run();
    expect(run()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('snapshot and restore', () => {
  type Step = { add: Rec[] } | { wm: number } | { tick: number };
  const script: Step[] = [
    {
      add: [
        ['a', 1],
        ['b', 2],
        ['a', 12],
      ],
    },
    { wm: 5 },
    {
      add: [
        ['a', 3],
        ['c', 14],
        ['a', 25],
      ],
    },
    { wm: 9 },
    {
      add: [
        ['a', 4],
        ['b', 17],
      ],
    },
    { tick: 100 },
    { wm: 21 },
    {
      add: [
        ['a', 8],
        ['b', 30],
        ['c', 31],
        ['a', 26],
      ],
    },
    { wm: 40 },
    {
      add: [
        ['a', 2],
        ['c', 45],
        ['c', 47],
      ],
    },
    { wm: Infinity },
  ];
  const configs: Array<[string, () => WindowAssigner, WindowOptions]> = [
    [
      'tumbling, retracting, early',
      () => tumbling(10),
      { allowedLateness: 15, mode: 'retracting', trigger: onWatermark({ early: afterCount(2) }) },
    ],
    ['hopping, discarding', () => hopping(10, 5), { allowedLateness: 15, mode: 'discarding' }],
    ['session, retracting', () => session(5), { allowedLateness: 15, mode: 'retracting' }],
    ['sliding', () => sliding(8), { allowedLateness: 15 }],
    ['global, count', () => global(), { trigger: afterCount(3) }],
  ];

  function play(h: Harness, steps: Step[]): void {
    for (const s of steps) {
      if ('add' in s) h.add(...s.add);
      else if ('wm' in s) h.watermark(s.wm);
      else h.tick(s.tick);
    }
  }

  const sorted = (rs: WindowResult[]) => rs.map((r) => `${r.id} ${JSON.stringify(r.value)} ${r.pane.timing}`).sort();

  for (const [name, assigner, options] of configs) {
    for (let cut = 1; cut < script.length; cut++) {
      it(`${name}: restoring a snapshot taken after step ${cut} yields the same remaining output`, () => {
        const whole = harness(assigner(), options, sum());
        play(whole, script);

        const before = harness(assigner(), options, sum());
        const writer = new MapStateWriter();
        // A full snapshot early, then incremental ones: the store must add up to the live state.
        before.op.snapshotState!(writer, true);
        for (let i = 0; i < cut; i++) {
          play(before, [script[i]]);
          before.op.snapshotState!(writer, false);
        }
        const after = harness(assigner(), options, sum());
        after.op.restoreState!(writer.entries());
        play(after, script.slice(cut));

        expect(sorted([...before.results, ...after.results])).toEqual(sorted(whole.results));
        expect([...before.late, ...after.late]).toEqual(whole.late);
      });
    }
  }

  it('writes only what changed since the previous snapshot, and deletes expired windows', () => {
    const h = harness(tumbling(10));
    for (let k = 0; k < 50; k++) h.add([k, 1]);
    const w = new MapStateWriter();
    h.op.snapshotState!(w, true);
    expect(w.puts).toBe(51);
    h.add([7, 2], [8, 12]);
    const puts = w.puts;
    h.op.snapshotState!(w, false);
    expect(w.puts - puts).toBe(2);
    h.watermark(9);
    h.op.snapshotState!(w, false);
    expect(w.deletes).toBe(50);
    expect([...w.store.keys()].sort()).toEqual(['w2/a/8000000000000014/800000000000000a/8', 'w2/m']);
  });

  it('writes nothing for windows or session extents that lived and died between two snapshots', () => {
    const h = harness(session(10), {}, count());
    const w = new MapStateWriter();
    h.op.snapshotState!(w, true);
    // One session growing record by record (extended in place), then closed, all between snapshots.
    for (let t = 0; t < 50; t += 5) h.add(['a', t]);
    h.watermark(100);
    const before = { puts: w.puts, deletes: w.deletes };
    h.op.snapshotState!(w, false);
    expect(w.deletes - before.deletes).toBe(0);
    expect(w.puts - before.puts).toBe(1);
    expect([...w.store.keys()]).toEqual(['w2/m']);
    expect(h.rows()).toEqual(['"a" [0,55) 10 #0 on-time']);
  });

  it('refuses a checkpoint written for other windows', () => {
    const h = harness(tumbling(10));
    h.add(['a', 1]);
    const w = new MapStateWriter();
    h.op.snapshotState!(w, true);
    const other = harness(tumbling(20));
    expect(() => other.op.restoreState!(w.entries())).toThrow(/tumbling\(10ms\)/);
  });
});

describe('state key layout', () => {
  it('is pinned, and sorts in time order across negative and positive times', async () => {
    const { alignedStateKey, sessionStateKey } = await import('../../src/windowing/window-state-layout.js');
    expect(alignedStateKey(0, 60000, '"a"')).toBe('w2/a/800000000000ea60/8000000000000000/"a"');
    const times = [Number.MIN_SAFE_INTEGER, -86_400_000, -3, -1, 0, 1, 2, 3, 255, 256, 1_700_000_000_000, Number.MAX_SAFE_INTEGER];
    const encoded = times.map((t) => sessionStateKey(t, t + 1, '"a"'));
    expect([...encoded].sort()).toEqual(encoded);
    expect(new Set(encoded).size).toBe(times.length);
  });
});
