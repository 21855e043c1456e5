import { describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import { PipelineError } from '../../src/core/errors.js';
import type { WindowResult } from '../../src/core/window.js';
import { fromArray } from '../../src/sources/index.js';
import { toArray } from '../../src/sinks/index.js';
import { memoryState } from '../../src/state/index.js';
import { boundedOutOfOrderness } from '../../src/watermarks/index.js';
import { count, sum, tumbling } from '../../src/windowing/index.js';

interface Event {
  key: string;
  at: number;
  v: number;
}

const events: Event[] = [];
for (let i = 0; i < 200; i++) events.push({ key: i % 3 === 0 ? 'a' : 'b', at: i * 1000 + ((i * 7919) % 5) * 100, v: i });

function build(
  perKey: ReturnType<typeof toArray<WindowResult>>,
  total: ReturnType<typeof toArray<WindowResult>>,
  raw: ReturnType<typeof toArray<Event>>,
  batchSize: number,
) {
  return from(fromArray(events, { batchSize }))
    .withTimestamps((e) => e.at, boundedOutOfOrderness('1s'))
    .branch(
      (s) =>
        s
          .keyBy((e) => e.key)
          .window(tumbling('10s'))
          .aggregate({ n: count(), v: sum((e: Event) => e.v) })
          .to(perKey),
      (s) => s.window(tumbling('1m')).aggregate(count()).to(total),
    )
    .filter((e) => e.v % 2 === 0)
    .to(raw);
}

describe('branch', () => {
  it('feeds every branch and the main line with the same records and watermarks', async () => {
    const perKey = toArray<WindowResult>();
    const total = toArray<WindowResult>();
    const raw = toArray<Event>();
    const summary = await build(perKey, total, raw, 7).run();
    expect(raw.items).toEqual(events.filter((e) => e.v % 2 === 0));
    // 200 events over 200 s: 20 ten-second windows for each of two keys, 4 one-minute windows.
    expect(perKey.items).toHaveLength(40);
    expect(perKey.items.reduce((n, r) => n + (r.value as { n: number }).n, 0)).toBe(200);
    expect(total.items.map((r) => r.value)).toEqual([60, 60, 60, 20]);
    expect(summary.results).toBe(raw.items.length + 44);
  });

  it('checkpoints and restores the state of operators inside branches', async () => {
    const clean = { perKey: toArray<WindowResult>(), total: toArray<WindowResult>(), raw: toArray<Event>() };
    await build(clean.perKey, clean.total, clean.raw, 5).run();

    const state = memoryState();
    const first = { perKey: toArray<WindowResult>(), total: toArray<WindowResult>(), raw: toArray<Event>() };
    let done = 0;
    const job = build(first.perKey, first.total, first.raw, 5).run({
      state,
      checkpointEvery: { records: 20 },
      onEvent: (e) => {
        if (e.type === 'checkpoint.completed' && ++done === 3) job.stop();
      },
    });
    await job;
    const second = { perKey: toArray<WindowResult>(), total: toArray<WindowResult>(), raw: toArray<Event>() };
    const resumed = await build(second.perKey, second.total, second.raw, 5).run({ state });
    expect(resumed.restoredFrom).toBeGreaterThanOrEqual(3);
    const byId = (items: WindowResult[]) => new Map(items.map((r) => [r.id, r]));
    expect(byId([...first.perKey.items, ...second.perKey.items])).toEqual(byId(clean.perKey.items));
    expect(byId([...first.total.items, ...second.total.items])).toEqual(byId(clean.total.items));
  });

  it('requires each branch to end in a sink', () => {
    const s = from(fromArray(events)).withTimestamps((e) => e.at);
    expect(() => s.branch((b) => b.window(tumbling('1s')).aggregate(count()))).toThrow(PipelineError);
    expect(() => s.branch((b) => b.window(tumbling('1s')).aggregate(count()))).toThrow(/branch\(#1\) has no sink/);
    expect(() => s.branch()).toThrow(TypeError);
  });
});
