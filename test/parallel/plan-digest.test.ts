/** The plan digest a parallel run compares between its threads: equal for the same build, different for any change of shape. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedOutOfOrderness, count, from, fromArray, sum, tumbling, union, type Sink } from '../../src/index.js';
import { describePlanDifference, planDigest } from '../../src/parallel/plan-digest.js';

interface Click {
  page: string;
  at: number;
}

const named = (name: string): Sink => ({ name, write: () => undefined });

interface Shape {
  window?: string;
  uid?: string;
  keyed?: boolean;
  sum?: boolean;
  map?: boolean;
  branches?: number;
  sink?: string;
  late?: string;
}

/** A pipeline like the taxi example's, with its shape set by `shape`: each call builds a fresh one. */
function build(shape: Shape = {}) {
  let stream = from(fromArray<Click>([]))
    .withTimestamps((c) => c.at, boundedOutOfOrderness('1s'))
    .late(named(shape.late ?? 'late'));
  if (shape.map) stream = stream.map((c) => ({ ...c, page: c.page.toUpperCase() }));
  for (let b = 0; b < (shape.branches ?? 0); b++) {
    stream = stream.branch((s) => s.filter((c) => c.at > b).to(named(`branch-${b}`)));
  }
  const keyed = shape.keyed === false ? stream : stream.keyBy((c) => c.page);
  const windowed = keyed.window(tumbling(shape.window ?? '1m'));
  const aggregated = (shape.uid ? windowed.uid(shape.uid) : windowed).aggregate(shape.sum ? sum((c: Click) => c.at) : count());
  return aggregated.to(named(shape.sink ?? 'out')).plan();
}

describe('planDigest', () => {
  it('is equal for the same pipeline built twice, and lists its shape', () => {
    const a = planDigest(build());
    expect(planDigest(build())).toEqual(a);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.lines).toEqual([
      'source array',
      '0 withTimestamps',
      '1 keyBy',
      '2 window operator=window assigner=tumbling(60000ms) keyed=yes aggregate=count@1 mode=accumulating',
      'sinks: out',
      'late records to late',
    ]);
  });

  it.each<[string, Shape, RegExp]>([
    ['a window size', { window: '5m' }, /"2 window .*tumbling\(60000ms\).*" where the worker has "2 window .*tumbling\(300000ms\)/],
    ['a .uid()', { uid: 'clicks-per-page' }, /where the worker has "2 window uid=clicks-per-page /],
    ['keyed or not', { keyed: false }, /the main thread has "1 keyBy" where the worker has "1 window .*keyed=no/],
    ['an aggregator', { sum: true }, /aggregate=count@1.*" where the worker has ".*aggregate=sum/],
    ['an operator added', { map: true }, /the main thread has "1 keyBy" where the worker has "1 map"/],
    ['a branch', { branches: 1 }, /the main thread has "1 keyBy" where the worker has "fan-out 0 into 1 branches"/],
    ['a sink', { sink: 'elsewhere' }, /the main thread has "sinks: out" where the worker has "sinks: elsewhere"/],
    ['a late sink', { late: 'late-2' }, /"late records to late" where the worker has "late records to late-2"/],
  ])('differs with %s, and names the difference', (_, shape, difference) => {
    const main = planDigest(build());
    const worker = planDigest(build(shape));
    expect(worker.hash).not.toBe(main.hash);
    expect(describePlanDifference(main, worker)).toMatch(difference);
    expect(describePlanDifference(main, planDigest(build()))).toBeUndefined();
  });

  it('describes branches and union inputs structurally', () => {
    const clicks = () => from(fromArray<Click>([]));
    const plan = union(
      clicks().filter((c) => c.at > 0),
      clicks(),
    )
      .branch((s) => s.to(named('raw')))
      .to(named('out'))
      .plan();
    expect(planDigest(plan).lines).toEqual([
      'source union(array, array)',
      'union of 2 inputs',
      'u0/0 filter',
      'u0/sinks: (none)',
      'u1/sinks: (none)',
      'fan-out 0 into 1 branches',
      'b0.0/sinks: raw',
      'sinks: out',
    ]);
  });

  it('names a line one side lacks', () => {
    const one = planDigest(build({ branches: 1 }));
    const two = planDigest(build({ branches: 2 }));
    expect(describePlanDifference(two, one, ['worker 1', 'worker 2'])).toBe(
      'worker 1 has "fan-out 1 into 1 branches" where worker 2 has "1 keyBy"',
    );
    const shorter = { hash: 'h1', lines: ['source array'] };
    const longer = { hash: 'h2', lines: ['source array', 'sinks: out'] };
    expect(describePlanDifference(shorter, longer)).toBe('the worker has more in its pipeline than the main thread: "sinks: out"');
    expect(describePlanDifference(longer, shorter)).toBe('the worker lacks "sinks: out", which the main thread has');
  });

  it('is equal exactly when the window sizes are', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 120 }), (a, b) => {
        const equal = planDigest(build({ window: `${a}s` })).hash === planDigest(build({ window: `${b}s` })).hash;
        expect(equal).toBe(a === b);
      }),
      { numRuns: 50 },
    );
  });
});
