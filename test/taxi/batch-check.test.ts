/**
 * The batch check reads what a user reads: the complete Gold files of an output folder, upserted
 * by id, against batch Gold over the whole raw input.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGoldAgainstBatch, checkGoldOutputAgainstBatch } from '../../examples/taxi/batch-check.js';
import { rawRecords, runTaxiJob } from '../../examples/taxi/pipeline.js';

const options = { events: 3_000, seed: 3, duplicates: 0.02, bad: 0.01 };
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

describe('taxi batch check over the output folder', () => {
  it('equals batch for a run, and tells replayed panes from lost or changed ones', { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'taxi-check-'));
    const result = await runTaxiJob({ ...options, out });
    expect((await checkGoldAgainstBatch(result)).equal).toBe(true);
    const check = await checkGoldOutputAgainstBatch(out, rawRecords(options));
    expect(check.text).toMatch(/^daily: \d+ windows matched, 0 only in stream, 0 only in batch, 0 values differ$/m);
    expect(check.equal).toBe(true);

    // Panes written again by a resumed run (same ids) change nothing.
    const daily = join(out, 'gold', 'daily.jsonl');
    const hourly = join(out, 'gold', 'hourly.jsonl');
    const dailyLines = lines(daily);
    appendFileSync(daily, dailyLines.slice(0, 10).join('\n') + '\n');
    appendFileSync(hourly, lines(hourly).join('\n') + '\n');
    expect((await checkGoldOutputAgainstBatch(out, rawRecords(options))).equal).toBe(true);

    // A window missing from the output is found.
    const lost = JSON.parse(dailyLines[3]).window.start;
    writeFileSync(daily, dailyLines.filter((l) => JSON.parse(l).window.start !== lost).join('\n') + '\n');
    const missing = await checkGoldOutputAgainstBatch(out, rawRecords(options));
    expect(missing.equal).toBe(false);
    expect(missing.daily.onlyInBatch.map((r) => r.window.start)).toEqual([lost]);

    // So is a value that differs, and an input the output was not computed from.
    writeFileSync(
      daily,
      dailyLines.map((l, i) => (i === 0 ? l.replace(/"trips":(\d+)/, (_, n) => `"trips":${Number(n) + 1}`) : l)).join('\n') + '\n',
    );
    expect((await checkGoldOutputAgainstBatch(out, rawRecords(options))).equal).toBe(false);
    writeFileSync(daily, dailyLines.join('\n') + '\n');
    expect((await checkGoldOutputAgainstBatch(out, rawRecords({ ...options, seed: 4 }))).equal).toBe(false);
  });

  it(
    'a resumed run cuts a line a kill left half-written before appending; a fresh state starts the files afresh',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'taxi-torn-'));
      const out = join(dir, 'out');
      await runTaxiJob({ ...options, out });
      const single = lines(join(out, 'gold', 'daily.jsonl')).length;

      // A fresh state folder: the outputs of the earlier run are not appended to.
      const state = join(dir, 'state');
      await runTaxiJob({ ...options, out, state });
      expect(lines(join(out, 'gold', 'daily.jsonl'))).toHaveLength(single);

      // A kill in the middle of a write leaves a torn last line; the next run resumes and appends.
      appendFileSync(join(out, 'gold', 'daily.jsonl'), '{"key":null,"window":{"sta');
      appendFileSync(join(out, 'silver.jsonl'), '{"trip_id":"ab');
      const resumed = await runTaxiJob({ ...options, out, state });
      expect(resumed.summary.restoredFrom).toBeGreaterThanOrEqual(1);
      expect(readFileSync(join(out, 'gold', 'daily.jsonl'), 'utf8').endsWith('}\n')).toBe(true);
      expect(readFileSync(join(out, 'silver.jsonl'), 'utf8').endsWith('}\n')).toBe(true);
      expect((await checkGoldOutputAgainstBatch(out, rawRecords(options))).equal).toBe(true);
    },
  );
});
