import { describe, expect, it } from 'vitest';
import { progressBar } from '../../examples/taxi/progress.js';

function capture(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

/** The counts a progress output shows, in order (`1,234/10,000` on a bar line). */
function countsShown(text: string): number[] {
  return [...text.matchAll(/\] +\d+% ([\d,]+)\//g)].map((m) => Number(m[1].replaceAll(',', '')));
}

describe('taxi progress bar', () => {
  it('without a terminal: a line per 10 %, never going back, and the final line once', () => {
    const out = capture(false);
    const bar = progressBar(10_000, 'events', out);
    for (let n = 256; n <= 10_000; n += 256) bar.update(n);
    bar.update(10_000);
    // A resumed run finishes with the count of its own records, smaller than the input read.
    bar.update(6_000);
    bar.finish(6_000);
    bar.finish(10_000);
    const text = out.writes.join('');
    const counts = countsShown(text);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(10_000);
    expect(text.match(/100%/g)).toHaveLength(1);
    expect(text.split('\n').filter((l) => l.includes('10,000/10,000'))).toHaveLength(1);
  });

  it('without a terminal: a final count above the last line drawn gets its own line', () => {
    const out = capture(false);
    const bar = progressBar(10_000, 'events', out);
    bar.update(9_000);
    bar.finish(10_500);
    expect(countsShown(out.writes.join(''))).toEqual([9_000, 10_500]);
  });

  it('on a terminal: redrawn in place, ending with one newline', () => {
    const out = capture(true);
    const bar = progressBar(1_000, 'events', out);
    bar.update(500);
    bar.finish(400);
    bar.finish(1_000);
    const text = out.writes.join('');
    expect(text.startsWith('\r')).toBe(true);
    expect(text.match(/\n/g)).toHaveLength(1);
    expect(countsShown(text).at(-1)).toBe(500);
  });

  it('shows checkpoints and notes: a line each without a terminal, on the live line on one', () => {
    const log = capture(false);
    const plain = progressBar(1_000, 'events', log);
    plain.note('resuming from checkpoint 4 in ./state');
    plain.update(512);
    plain.checkpoint(5);
    expect(log.writes.join('')).toContain('resuming from checkpoint 4 in ./state\n');
    expect(log.writes.join('')).toContain('checkpoint 5 complete, 512 events read\n');
    const tty = capture(true);
    const live = progressBar(1_000, 'events', tty);
    live.update(512);
    live.checkpoint(5);
    expect(tty.writes.at(-1)).toMatch(/^\r\[.*512\/1,000 events .* checkpoint 5 *$/);
  });

  it('without a total: counts only, and the final count once', () => {
    const out = capture(false);
    const bar = progressBar(undefined, 'rows', out);
    bar.update(100);
    bar.finish(100);
    bar.finish(100);
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0]).toMatch(/^100 rows /);
  });
});
