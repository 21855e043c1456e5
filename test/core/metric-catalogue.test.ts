import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_DEFINITIONS, METRICS, TASK_LABEL } from '../../src/core/metric-catalogue.js';
import { Metrics } from '../../src/core/metrics.js';
import { METRIC_HELP } from '../../src/observability/prometheus.js';

const SRC = join(import.meta.dirname, '../../src');
const CATALOGUE = join(SRC, 'core/metric-catalogue.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** What Prometheus shows for an entry, without the `streamkit_` prefix. */
function exposedName(name: string, kind: string): string {
  return kind === 'counter' ? `${name}_total` : name;
}

describe('the metric catalogue', () => {
  it('follows one naming scheme: snake_case, no _total in the name, base units at the end', () => {
    const names = METRIC_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of METRIC_DEFINITIONS) {
      expect(d.name).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      expect(d.name).not.toMatch(/_total$|_ms$|_at$/);
      if (d.unit === 'seconds') expect(d.name).toMatch(/_seconds$/);
      if (d.unit === 'bytes') expect(d.name).toMatch(/_bytes$/);
      if (/_seconds$/.test(d.name)) expect(d.unit).toBe('seconds');
      expect(d.help.length).toBeGreaterThan(10);
      for (const label of d.labels) expect(label).toMatch(/^[a-z][a-z_]*$/);
      expect(d.labels).not.toContain(TASK_LABEL);
      expect(Object.isFrozen(d)).toBe(true);
    }
    expect(METRIC_HELP).toEqual(Object.fromEntries(METRIC_DEFINITIONS.map((d) => [d.name, d.help])));
  });

  it('is the only place in src/ that names a metric, and every entry is used there', () => {
    // A name in quotes is code; in backticks it is a comment pointing at the metric.
    const literal = new RegExp(`['"](${METRIC_DEFINITIONS.map((d) => d.name).join('|')})['"]`);
    const stringCall = /\bmetrics\??\.(inc|set|counter|gauge|get|total)\(\s*['"`]/;
    const used = new Set<string>();
    for (const file of sourceFiles(SRC)) {
      if (file === CATALOGUE) continue;
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(literal);
      expect(text, file).not.toMatch(stringCall);
      for (const [, key] of text.matchAll(/\bMETRICS\.([a-zA-Z]+)/g)) used.add(key);
    }
    expect([...used].filter((key) => !(key in METRICS))).toEqual([]);
    expect(Object.keys(METRICS).filter((key) => !used.has(key))).toEqual([]);
  });

  it('is documented, entry by entry, in the metrics table of docs/observability.md', () => {
    const page = readFileSync(join(import.meta.dirname, '../../docs/observability.md'), 'utf8');
    const rows = new Map(
      page
        .split('\n')
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .filter((cells) => cells.length === 7 && /^`[a-z_]+`$/.test(cells[1]))
        .map((cells) => [cells[1].slice(1, -1), { kind: cells[2], unit: cells[3], labels: cells[4] }]),
    );
    for (const d of METRIC_DEFINITIONS) {
      const row = rows.get(exposedName(d.name, d.kind));
      expect(row, d.name).toEqual({ kind: d.kind, unit: d.unit, labels: d.labels.map((l) => `\`${l}\``).join(', ') });
    }
    expect(rows.size).toBe(METRIC_DEFINITIONS.length);
  });

  it('types what the registry accepts: an entry of the right kind with its own labels', () => {
    const metrics = new Metrics();
    metrics.inc(METRICS.recordsLate, { operator: '3-window' }, 2);
    metrics.set(METRICS.watermark, { operator: '0-withTimestamps' }, 1.5);
    // Never called: typecheck (`npm run typecheck`) fails if these compile.
    const misuses = () => {
      // @ts-expect-error a gauge is not a counter
      metrics.inc(METRICS.watermark, { operator: '0-withTimestamps' });
      // @ts-expect-error records_late is labelled by operator only
      metrics.inc(METRICS.recordsLate, { stage: 'sink' });
    };
    void misuses;
    metrics.inc('orders_imported', { shop: 'berlin' }); // an application's own metric, by name
    expect(metrics.get(METRICS.recordsLate, { operator: '3-window' })).toBe(2);
    expect(metrics.get('records_late', { operator: '3-window' })).toBe(2);
    expect(metrics.total(METRICS.watermark)).toBe(1.5);
  });
});
