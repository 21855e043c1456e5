import type { Registry } from 'prom-client';
import { lazyModule } from '../core/lazy-module.js';
import { METRIC_DEFINITIONS, METRICS } from '../core/metric-catalogue.js';
import type { Metrics, MetricSample } from '../core/metrics.js';

const promClient = lazyModule<typeof import('prom-client')>(
  'prom-client',
  'Prometheus metrics (prometheusText, serveMetrics, run({ metrics }))',
);

const PREFIX = 'streamkit_';

/**
 * Renders a job's metrics in the Prometheus text format, with Node's process metrics (RSS, heap,
 * event-loop lag) beside them. Counters get the conventional `_total` suffix; an application's own
 * names are made valid Prometheus names (`orders.imported` becomes `streamkit_orders_imported_total`).
 * A sample shows only the labels it has, and a label with an empty value is left out. Ages are
 * computed at scrape time, so a stalled watermark or checkpoint shows a growing lag rather than a
 * stale one.
 * @param metrics the registry to render, usually `job.metrics`.
 * @param processRegistry process metrics to merge in (one shared registry by default).
 * @param now the wall clock the ages are measured against.
 * @example
 * import { METRICS, Metrics, prometheusText } from 'streamkit';
 * const metrics = new Metrics();
 * metrics.inc(METRICS.recordsIn, { stage: 'source' }, 3);
 * console.log(await prometheusText(metrics)); // … streamkit_records_in_total{stage="source"} 3
 */
export async function prometheusText(
  metrics: Metrics,
  processRegistry: Registry = defaultProcessRegistry(),
  now: () => number = Date.now,
): Promise<string> {
  const { Counter, Gauge, Registry } = promClient();
  const registry = new Registry();
  const byName = new Map<string, MetricSample[]>();
  for (const sample of [...metrics.snapshot(), ...derivedSamples(metrics, now())]) {
    const name = promName(sample.name);
    const list = byName.get(name) ?? [];
    list.push(sample);
    byName.set(name, list);
  }
  for (const [name, samples] of byName) {
    const labelNames = [...new Set(samples.flatMap((s) => Object.keys(s.labels).map(promName)))].sort();
    const counter = samples[0].kind === 'counter';
    const metricName = PREFIX + name + (counter && !name.endsWith('_total') ? '_total' : '');
    const help = METRIC_HELP[name] ?? name.replace(/_/g, ' ');
    const metric = counter
      ? new Counter({ name: metricName, help, labelNames, registers: [registry] })
      : new Gauge({ name: metricName, help, labelNames, registers: [registry] });
    for (const s of samples) {
      // Only the labels this sample has: a series of one label set never shows another's as `label=""`.
      const given: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.labels)) if (v !== '' && v !== undefined) given[promName(k)] = v;
      const labels: Record<string, string> = {};
      for (const l of labelNames) if (l in given) labels[l] = given[l];
      // prom-client rejects counter decrements; a counter only goes down if it is reset.
      if (metric instanceof Counter) metric.inc(labels, Math.max(0, s.value));
      else metric.set(labels, s.value);
    }
  }
  return Registry.merge([processRegistry, registry]).metrics();
}

/** Metrics whose value depends on when they are read. */
function derivedSamples(metrics: Metrics, at: number): MetricSample[] {
  const derived: MetricSample[] = [];
  for (const s of metrics.snapshot()) {
    if (s.name === METRICS.watermark.name && Number.isFinite(s.value)) {
      derived.push({ name: METRICS.watermarkAge.name, labels: s.labels, value: at / 1000 - s.value, kind: 'gauge' });
    } else if (s.name === METRICS.checkpointLastCompleted.name) {
      derived.push({ name: METRICS.checkpointAge.name, labels: s.labels, value: at / 1000 - s.value, kind: 'gauge' });
    }
  }
  return derived;
}

/** A valid Prometheus metric or label name: `[a-zA-Z_][a-zA-Z0-9_]*`. */
function promName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

let processRegistry: Registry | undefined;

/**
 * One registry of Node process metrics per process (prom-client's default collectors).
 * @example const text = await prometheusText(job.metrics, defaultProcessRegistry())
 */
export function defaultProcessRegistry(): Registry {
  if (!processRegistry) {
    const { Registry, collectDefaultMetrics } = promClient();
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: PREFIX });
  }
  return processRegistry;
}

/**
 * Help text of every metric streamkit's own stages record, by registry name (before the
 * `streamkit_` prefix and a counter's `_total` suffix); the same text as {@link METRICS}. Metrics of
 * an optional stage appear once that stage runs.
 */
export const METRIC_HELP: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(METRIC_DEFINITIONS.map((definition) => [definition.name, definition.help])),
);
