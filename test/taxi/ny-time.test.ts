import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNaiveTimestamp, nyDayStart, nyNaiveToEpoch, parseNaiveTimestamp } from '../../examples/taxi/ny-time.js';

const epoch = (text: string) => nyNaiveToEpoch(parseNaiveTimestamp(text) as number);

describe('New York wall-clock time', () => {
  it('reads winter times as EST (UTC-5) and summer times as EDT (UTC-4)', () => {
    expect(epoch('2024-01-01T00:57:55')).toBe(Date.UTC(2024, 0, 1, 5, 57, 55));
    expect(epoch('2024-07-01T12:00:00')).toBe(Date.UTC(2024, 6, 1, 16, 0, 0));
  });

  it('handles the DST changes: 2024-03-10 is 23 hours long, 2024-11-03 is 25', () => {
    expect(nyDayStart('2024-03-11') - nyDayStart('2024-03-10')).toBe(23 * 3_600_000);
    expect(nyDayStart('2024-11-04') - nyDayStart('2024-11-03')).toBe(25 * 3_600_000);
    expect(epoch('2024-03-10T03:00:00') - epoch('2024-03-10T01:59:59')).toBe(1000);
  });

  it('rejects text that is not a naive timestamp or names a day that does not exist', () => {
    for (const bad of [
      '2024-01-01 00:57:55',
      '2024-01-01T00:57',
      '2024-02-30T00:00:00',
      '2024-13-01T00:00:00',
      '2024-01-01T24:00:00',
      '',
      '2024-01-01T00:57:5a',
      ' 2024-01-01T00:57:55',
      '2024-01-01T00:57:55Z',
      '2024-01-01T00:57:55\n',
      '2024-00-01T00:00:00',
      '2024-01-00T00:00:00',
      '2024-01-01T00:60:00',
      '2024-01-01T00:00:60',
      '-024-01-01T00:00:00',
      '2024-01-01T0-:00:00',
      '2023-02-29T00:00:00',
      '２０２４-01-01T00:00:00',
    ]) {
      expect(parseNaiveTimestamp(bad)).toBeNull();
    }
    expect(parseNaiveTimestamp('2024-02-29T23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    // As Date.UTC reads them: years 0-99 are 1900-1999; 1900 and 0100 have no 29 February, 2000 has.
    expect(parseNaiveTimestamp('0024-02-29T01:02:03')).toBe(Date.UTC(24, 1, 29, 1, 2, 3));
    expect(parseNaiveTimestamp('0000-01-01T00:00:00')).toBe(Date.UTC(0, 0, 1));
    expect(parseNaiveTimestamp('0100-03-01T00:00:00')).toBe(Date.UTC(100, 2, 1));
    expect(parseNaiveTimestamp('2000-02-29T00:00:00')).toBe(Date.UTC(2000, 1, 29));
    for (const bad of ['1900-02-29T00:00:00', '0100-02-29T00:00:00', '2024-04-31T00:00:00']) expect(parseNaiveTimestamp(bad)).toBeNull();
    expect(() => nyDayStart('01/13/2024')).toThrow(RangeError);
  });

  it('property: format and parse round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2030, 0, 1) / 1000 }), (seconds) => {
        const ms = seconds * 1000;
        const text = formatNaiveTimestamp(ms);
        expect(text).toBe(new Date(ms).toISOString().slice(0, 19));
        expect(parseNaiveTimestamp(text)).toBe(ms);
      }),
    );
  });
});
