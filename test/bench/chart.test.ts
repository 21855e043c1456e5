import { describe, expect, it } from 'vitest';
import { chartSvg } from '../../bench/report/chart.js';
import { megabytes, rate } from '../../bench/report/units.js';

const values: Record<string, Record<string, number>> = {
  'zone-5m 1M': { streamkit: 98_765.4321, 'flink-p1': 61_600 },
  'silver 1M': { streamkit: 160_901 },
};

const svg = chartSvg({
  groups: ['zone-5m 1M', 'silver 1M'],
  series: [
    { name: 'streamkit', color: '#2563eb' },
    { name: 'flink-p1', color: '#dc2626' },
    { name: 'json-parse', color: '#86efac' },
  ],
  panels: [
    { title: 'Steady state', format: rate, value: (g, s) => values[g][s] ?? null },
    {
      title: 'Peak RSS',
      format: megabytes,
      value: (g, s) => (s === 'streamkit' ? 1163.0025 : s === 'flink-p1' && g === 'zone-5m 1M' ? 900 : null),
    },
  ],
});

describe('chartSvg', () => {
  it('labels axes in plain units', () => {
    const labels = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toContain('100k events/s');
    expect(labels).toContain('1.5 GB');
    expect(labels).toContain('500 MB');
    for (const l of labels.filter((x) => /events\/s|MB|GB/.test(x))) expect(l).not.toMatch(/\d\.\d{3,}/);
  });

  it('draws one bar per value and lists in the legend only series that have a bar', () => {
    // Bars carry a <title> with their value; legend swatches do not.
    expect(svg.match(/<rect [^>]+><title>/g)?.length).toBe(3 + 3);
    expect(svg).toContain('<title>flink-p1, zone-5m 1M: 62k events/s</title>');
    expect(svg).toContain('>streamkit</text>');
    expect(svg).toContain('>flink-p1</text>');
    expect(svg).not.toContain('json-parse');
  });

  it('is a standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
