import { describe, expect, it } from 'vitest';
import { WindowLatency } from '../../bench/e2e/window-latency.js';

const MIN = 60_000;

describe('WindowLatency', () => {
  it('times a result from the arrival of the record that moved the watermark past its window end', () => {
    // Windows of 5 minutes, delay 2 minutes: the window [0, 5m) is passed once a record at >= 7m arrives.
    const times = [1 * MIN, 6 * MIN, 3 * MIN, 7 * MIN, null, 13 * MIN];
    const arrival = (i: number) => 1000 + i * 10;
    const probe = new WindowLatency(times, 5 * MIN, 2 * MIN, arrival);
    probe.arrived(0, 3);
    probe.resultOut(5 * MIN, 1500); // not passed yet: as if fired by the end of input
    probe.arrived(3, 6);
    probe.resultOut(5 * MIN, 1045); // record 3 (7m) arrived at 1030
    probe.resultOut(10 * MIN, 1070); // record 5 (13m) passed 10m; it arrived at 1050
    expect(probe.summary()).toEqual({ samples: 2, atEndOfInput: 1, p50Ms: 15, p90Ms: 20, p99Ms: 20, maxMs: 20 });
  });

  it('ignores records that do not raise the largest event time, and lines without one', () => {
    const probe = new WindowLatency([20 * MIN, null, 1 * MIN, 21 * MIN], 5 * MIN, 0, (i) => i * 100);
    probe.arrived(0, 4);
    // 20m passes the ends 5m..20m at record 0; 21m passes nothing new.
    probe.resultOut(20 * MIN, 50);
    probe.resultOut(25 * MIN, 500);
    expect(probe.summary()).toMatchObject({ samples: 1, atEndOfInput: 1, p50Ms: 50 });
  });
});
