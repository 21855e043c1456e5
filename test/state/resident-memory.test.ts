import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/core/metric-catalogue.js';
import { Metrics } from '../../src/core/metrics.js';
import type { HeapListener } from '../../src/state/heap-watch.js';
import { HEAP_HIGH, HEAP_LOW, ResidentEntry, ResidentMemory, type CleanEntries } from '../../src/state/resident-memory.js';

/** A memory whose heap reports come from the test, with its checkpoint requests counted. */
function watched(budget: number) {
  let listener: HeapListener | undefined;
  let stopped = 0;
  const memory = new ResidentMemory(budget, (l) => {
    listener = l;
    return () => void stopped++;
  });
  const metrics = new Metrics();
  const requests: number[] = [];
  memory.attach(() => requests.push(requests.length), metrics);
  const clean: CleanEntries = new Map();
  const cache = (n: number, bytes: number) => {
    for (let i = 0; i < n; i++) memory.admit(new ResidentEntry(clean, `k${clean.size}-${i}`, i, bytes));
  };
  return { memory, metrics, requests, clean, cache, heap: (share: number) => listener!(share), stopped: () => stopped };
}

describe('the budget of resident state while the heap is nearly full', () => {
  it('shrinks after full collections that leave the heap more than 55 % full, evicting clean entries and checkpointing changes sooner, and grows back once it is under 40 %', () => {
    const { memory, metrics, requests, clean, cache, heap } = watched(10_000);
    cache(90, 100);
    expect(memory.stats().cachedBytes).toBe(9_000);
    expect(metrics.get(METRICS.stateMemoryLimit)).toBe(10_000);

    heap(HEAP_HIGH + 0.01);
    expect(memory.stats().budgetInEffect).toBe(7_000);
    expect(memory.stats().cachedBytes).toBeLessThanOrEqual(7_000);
    expect(clean.size).toBe(memory.stats().cachedEntries);
    expect(metrics.get(METRICS.stateMemoryLimit)).toBe(7_000);

    // Changes of 1,800 bytes: under a quarter of the configured budget, over a quarter of the one in effect.
    memory.changed(1_800);
    expect(requests.length).toBe(1);

    // Between the two marks nothing moves; it never drops below an eighth.
    heap((HEAP_HIGH + HEAP_LOW) / 2);
    expect(memory.stats().budgetInEffect).toBe(7_000);
    for (let i = 0; i < 20; i++) heap(0.9);
    expect(memory.stats().budgetInEffect).toBe(1_250);
    expect(memory.stats().cachedBytes).toBe(0);

    for (let i = 0; i < 40; i++) heap(HEAP_LOW - 0.01);
    expect(memory.stats().budgetInEffect).toBe(10_000);
    cache(50, 100);
    expect(memory.stats().cachedBytes).toBe(5_000);
  });

  it('stops watching the heap when the job leaves it', () => {
    const { memory, stopped } = watched(1_000);
    memory.detach();
    expect(stopped()).toBe(1);
    memory.detach();
    expect(stopped()).toBe(1);
  });
});
