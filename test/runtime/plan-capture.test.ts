/** The capture a worker thread of a parallel run sets: run() hands the plan over and starts no job. */
import { afterEach, describe, expect, it } from 'vitest';
import { from, fromArray, toArray } from '../../src/index.js';
import { setPlanCapture } from '../../src/core/plan-capture.js';

afterEach(() => setPlanCapture(undefined));

describe('runPipeline with a plan capture', () => {
  it('hands the plan and the options to the capture, and returns a job that never settles', async () => {
    const out = toArray<number>();
    const stream = from(fromArray([1, 2, 3]))
      .map((n) => n * 2)
      .to(out);
    const captured: Array<{ plan: unknown; options: unknown }> = [];
    setPlanCapture((plan, options) => captured.push({ plan, options }));
    const options = { batchSize: 2 };
    const job = stream.run(options);
    expect(captured).toHaveLength(1);
    expect(captured[0].options).toBe(options);
    expect((captured[0].plan as { operators: unknown[] }).operators).toHaveLength(1);
    expect(job.stop()).toBe(job);
    expect(() => job.query('window#0')).toThrow(/runs in a worker thread of a parallel run/);
    const settled = await Promise.race([job.then(() => 'settled'), new Promise((resolve) => setTimeout(resolve, 50, 'pending'))]);
    expect(settled).toBe('pending');
    expect(out.items).toEqual([]);
  });

  it('runs the job as always once the capture is cleared', async () => {
    setPlanCapture(() => {
      throw new Error('not expected');
    });
    setPlanCapture(undefined);
    const out = toArray<number>();
    const summary = await from(fromArray([1, 2, 3]))
      .map((n) => n * 2)
      .to(out)
      .run();
    expect(out.items).toEqual([2, 4, 6]);
    expect(summary.records).toBe(3);
  });
});
