import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareOutputs, outputTrips, writeRows, type SessionRow, type ZoneRow } from '../../bench/e2e/output-rows.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamkit-bench-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const row = (zone: number, windowStart: number, revenue: number, trips = 2): ZoneRow => ({
  zone,
  windowStart,
  windowEnd: windowStart + 300_000,
  trips,
  revenue,
  avgFare: revenue / trips,
  avgDistance: 1.5,
});

function write(name: string, rows: object[]): string {
  const file = join(dir, name);
  writeRows(file, 'zone-5m', rows);
  return file;
}

describe('writeRows', () => {
  it('sorts rows by window start, then zone (nulls first), as the Flink runner does', () => {
    const file = write('a.jsonl', [row(7, 600_000, 1), row(3, 600_000, 1), { ...row(1, 300_000, 1), zone: null }, row(9, 0, 1)]);
    const keys = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const r = JSON.parse(l) as ZoneRow;
        return `${r.zone}@${r.windowStart}`;
      });
    expect(keys).toEqual(['9@0', 'null@300000', '3@600000', '7@600000']);
  });
});

describe('compareOutputs', () => {
  it('treats revenue that differs below a cent as equal, whatever the row order', () => {
    const a = write('a.jsonl', [row(1, 0, 10.1 + 20.2), row(2, 0, 5)]);
    const b = write('b.jsonl', [row(2, 0, 5), row(1, 0, 30.3)]);
    expect(10.1 + 20.2).not.toBe(30.3);
    expect(compareOutputs('zone-5m', a, b)).toMatchObject({ equal: true, rows: 2, referenceRows: 2, differences: 0 });
  });

  it('treats averages one bit apart on a half cent as equal, and a cent apart as different', () => {
    const a = write('a.jsonl', [{ ...row(1, 0, 16.15), avgFare: 8.075 }]);
    const b = write('b.jsonl', [{ ...row(1, 0, 16.15), avgFare: 8.075000000000001 }]);
    const c = write('c.jsonl', [{ ...row(1, 0, 16.15), avgFare: 8.085 }]);
    expect(Math.round(8.075 * 100)).not.toBe(Math.round(8.075000000000001 * 100));
    expect(compareOutputs('zone-5m', a, b).equal).toBe(true);
    expect(compareOutputs('zone-5m', c, b).equal).toBe(false);
  });

  it('reports a cent of difference, a different trip count and rows on one side only', () => {
    const ref = write('ref.jsonl', [row(1, 0, 10), row(2, 0, 5), row(3, 0, 1)]);
    const cent = write('cent.jsonl', [row(1, 0, 10.01), row(2, 0, 5), row(3, 0, 1)]);
    const trips = write('trips.jsonl', [row(1, 0, 10), { ...row(2, 0, 5), trips: 3, avgFare: 5 / 2 }, row(3, 0, 1)]);
    const missing = write('missing.jsonl', [row(1, 0, 10), row(2, 0, 5)]);
    const cmpCent = compareOutputs('zone-5m', cent, ref);
    expect(cmpCent.equal).toBe(false);
    expect(cmpCent.example).toContain('revenue');
    expect(compareOutputs('zone-5m', trips, ref)).toMatchObject({ equal: false, differences: 1 });
    const cmpMissing = compareOutputs('zone-5m', missing, ref);
    expect(cmpMissing).toMatchObject({ equal: false, rows: 2, referenceRows: 3, differences: 1 });
    expect(cmpMissing.example).toContain('only in reference');
  });

  it('keys session rows by vendor, zone, start and end', () => {
    const s = (vendor: number, end: number): SessionRow => ({ vendor, zone: 4, windowStart: 0, windowEnd: end, trips: 1, revenue: 2 });
    const a = join(dir, 's1.jsonl');
    const b = join(dir, 's2.jsonl');
    writeRows(a, 'sessions', [s(1, 1_800_000), s(2, 1_800_000)]);
    writeRows(b, 'sessions', [s(1, 1_800_000), s(2, 3_600_000)]);
    expect(compareOutputs('sessions', a, a).equal).toBe(true);
    expect(compareOutputs('sessions', a, b)).toMatchObject({ equal: false, differences: 2 });
  });

  it('compares the silver job by its row count', () => {
    writeFileSync(join(dir, 'x.json'), '{"silverRows":9855}\n');
    writeFileSync(join(dir, 'y.json'), '{"silverRows":9855}\n');
    writeFileSync(join(dir, 'z.json'), '{"silverRows":9766}\n');
    expect(compareOutputs('silver', join(dir, 'x.json'), join(dir, 'y.json')).equal).toBe(true);
    expect(compareOutputs('silver', join(dir, 'x.json'), join(dir, 'z.json'))).toMatchObject({
      equal: false,
      rows: 9855,
      referenceRows: 9766,
    });
  });
});

describe('compareOutputs: how rows differ', () => {
  it('tells rows with other trip counts from rows with equal trips but other sums, and sums the trips', () => {
    const ref = write('ref.jsonl', [row(1, 0, 10), row(2, 0, 5), row(3, 0, 1)]);
    // Zone 1 got one more trip (a record late in the reference); zone 2 has equal trips but another sum.
    const out = write('out.jsonl', [{ ...row(1, 0, 12, 3), avgFare: 4 }, row(2, 0, 5.5), row(3, 0, 1)]);
    expect(compareOutputs('zone-5m', out, ref)).toMatchObject({
      equal: false,
      differences: 2,
      onlyHere: 0,
      onlyInReference: 0,
      tripsDiffer: 1,
      valuesDiffer: 1,
      trips: 7,
      referenceTrips: 6,
    });
  });

  it('counts keys on one side only, each way', () => {
    const ref = write('ref.jsonl', [row(1, 0, 10), row(2, 0, 5)]);
    const out = write('out.jsonl', [row(2, 0, 5), row(3, 0, 1), row(4, 0, 1)]);
    expect(compareOutputs('zone-5m', out, ref)).toMatchObject({ onlyHere: 2, onlyInReference: 1, differences: 3 });
  });

  it('refuses a file with two rows for one key: the comparison would hide one of them', () => {
    const ref = write('ref.jsonl', [row(1, 0, 10)]);
    const twice = join(dir, 'twice.jsonl');
    writeFileSync(twice, [row(1, 0, 10), row(1, 0, 10)].map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(() => compareOutputs('zone-5m', twice, ref)).toThrow(/two rows for key/);
  });

  it('compares the late-heavy job like zone-5m and reads rows in any order', () => {
    const a = write('a.jsonl', [row(1, 0, 10), row(2, 300_000, 5)]);
    const b = join(dir, 'b.jsonl');
    writeFileSync(b, [row(2, 300_000, 5), row(1, 0, 10)].map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(compareOutputs('zone-5m-late', a, b)).toMatchObject({ equal: true, trips: 4 });
    expect(outputTrips(b)).toBe(4);
  });
});
