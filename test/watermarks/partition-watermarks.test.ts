import { describe, expect, it } from 'vitest';
import { boundedOutOfOrderness, monotonic, PartitionWatermarks } from '../../src/watermarks/index.js';

describe('watermark strategies', () => {
  it('boundedOutOfOrderness parses its delay and monotonic has none', () => {
    expect(boundedOutOfOrderness('30s').maxDelay).toBe(30_000);
    expect(monotonic().maxDelay).toBe(0);
    expect(() => boundedOutOfOrderness('30 sec')).toThrow(/boundedOutOfOrderness\(maxDelay\).*"30 sec"/);
    expect(() => boundedOutOfOrderness('1s', { idleTimeout: 0 })).toThrow(/idleTimeout/);
  });
});

describe('PartitionWatermarks', () => {
  it('is the largest timestamp minus the delay minus one', () => {
    const w = new PartitionWatermarks(1000, undefined);
    w.observe(0, 5000, 0);
    expect(w.current([0])).toBe(3999);
  });

  it('takes the minimum over partitions and holds until every partition has spoken', () => {
    const w = new PartitionWatermarks(0, undefined);
    w.observe(0, 100, 0);
    expect(w.current([0, 1])).toBe(-Infinity);
    w.observe(1, 50, 0);
    expect(w.current([0, 1])).toBe(49);
    w.observe(1, 500, 0);
    expect(w.current([0, 1])).toBe(99);
  });

  it('never goes backwards', () => {
    const w = new PartitionWatermarks(0, undefined);
    w.observe(0, 100, 0);
    expect(w.current([0])).toBe(99);
    w.observe(1, 10, 0);
    expect(w.current([0, 1])).toBe(99);
  });

  it('ignores idle partitions, and an idle partition wakes with its next record', () => {
    const w = new PartitionWatermarks(0, 1000);
    w.observe(0, 100, 0);
    w.observe(1, 10, 0);
    expect(w.current([0, 1])).toBe(9);
    w.observe(0, 200, 1500);
    w.checkIdle([0, 1], 1500);
    expect(w.isIdle(1)).toBe(true);
    expect(w.current([0, 1])).toBe(199);
    w.observe(1, 150, 1600);
    expect(w.isIdle(1)).toBe(false);
    w.observe(0, 400, 1600);
    expect(w.current([0, 1])).toBe(199);
  });

  it('holds when every partition is idle', () => {
    const w = new PartitionWatermarks(0, 10);
    w.observe(0, 100, 0);
    expect(w.current([0])).toBe(99);
    w.checkIdle([0], 100);
    expect(w.current([0])).toBe(99);
  });

  it('forgets a partition that leaves the source (a Kafka revoke), so it stops holding the watermark', () => {
    const w = new PartitionWatermarks(0, undefined);
    w.observe(0, 100, 0);
    w.observe(1, 10, 0);
    expect(w.current([0, 1])).toBe(9);
    w.observe(0, 300, 0);
    expect(w.current([0])).toBe(299);
    // It comes back (re-assigned) and holds again only from below the current value: never backwards.
    w.observe(1, 50, 0);
    expect(w.current([0, 1])).toBe(299);
  });
});
