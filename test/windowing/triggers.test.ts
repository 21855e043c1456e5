import { describe, expect, it } from 'vitest';
import { afterCount, afterProcessingTime, onWatermark, validateTrigger } from '../../src/windowing/triggers.js';

describe('trigger factories', () => {
  it('make frozen values the operator interprets', () => {
    expect(onWatermark()).toEqual({ kind: 'watermark' });
    expect(onWatermark({ early: afterCount(3), late: afterProcessingTime('2s') })).toEqual({
      kind: 'watermark',
      early: { kind: 'count', count: 3 },
      late: { kind: 'processing-time', interval: 2000 },
    });
    expect(afterProcessingTime('1m30s')).toEqual({ kind: 'processing-time', interval: 90_000 });
    expect(afterProcessingTime(250)).toEqual({ kind: 'processing-time', interval: 250 });
    expect(Object.isFrozen(afterCount(1))).toBe(true);
    expect(Object.isFrozen(onWatermark({ early: afterCount(1) }))).toBe(true);
  });

  it('afterCount(n) wants a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, '3' as never]) {
      expect(() => afterCount(bad)).toThrow(RangeError);
    }
    expect(() => afterCount(0)).toThrow(/afterCount\(n\): n must be a positive integer, got 0/);
  });

  it('afterProcessingTime(d) wants a positive duration', () => {
    expect(() => afterProcessingTime(0)).toThrow(RangeError);
    expect(() => afterProcessingTime('0s')).toThrow(/must be positive/);
    expect(() => afterProcessingTime('ten seconds')).toThrow(TypeError);
    expect(() => afterProcessingTime(-5)).toThrow(/afterProcessingTime\(interval\)/);
  });

  it('onWatermark checks its options by name', () => {
    expect(() => onWatermark({ erly: afterCount(1) } as never)).toThrow(/unknown option 'erly'/);
    expect(() => onWatermark({ early: onWatermark() as never })).toThrow(/'early' must be afterCount\(n\) or afterProcessingTime\(d\)/);
    expect(() => onWatermark({ late: 5 as never })).toThrow(/'late'/);
    expect(() => onWatermark(null as never)).toThrow(TypeError);
  });

  it('validateTrigger accepts trigger values and rejects anything else', () => {
    expect(validateTrigger(afterCount(2))).toEqual({ kind: 'count', count: 2 });
    expect(validateTrigger({ kind: 'watermark' })).toEqual({ kind: 'watermark' });
    expect(() => validateTrigger('onWatermark')).toThrow(/trigger must be onWatermark\(\)/);
    expect(() => validateTrigger({ kind: 'count', count: 0 })).toThrow(RangeError);
    expect(() => validateTrigger({ kind: 'processing-time', interval: -1 })).toThrow(RangeError);
    expect(() => validateTrigger({ kind: 'sometimes' })).toThrow(TypeError);
  });
});
