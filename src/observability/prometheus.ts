import type { Registry } from 'prom-client';
import { lazyModule } from '../core/lazy-module.js';
import type { Metrics, MetricSample } from '../core/metrics.js';

const promClient = lazyModule<typeof import('prom-client')>('prom-client');

const PREFIX = 'streamkit_';

/**
 * Renders a job's metrics in the Prometheus text format, with Node's process metrics (RSS, heap,
 * event-loop lag) beside them. Counters get the conventional `_total` suffix; names are made
 * valid Prometheus names (`window.panes` becomes `streamkit_window_panes_total`). Ages are computed
 * at scrape time, so a stalled watermark or checkpoint shows a growing lag rather than a stale one.
 * @param metrics the registry to render, usually `job.metrics`.
 * @param processRegistry process metrics to merge in (one shared registry by default).
 * @param now the wall clock the ages are measured against.
 * @example
 * import { Metrics, prometheusText } from 'streamkit';
 * const metrics = new Metrics();
 * metrics.inc('records_in', { stage: 'source' }, 3);
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
    const help = HELP[name] ?? name.replace(/_/g, ' ');
    const metric = counter
      ? new Counter({ name: metricName, help, labelNames, registers: [registry] })
      : new Gauge({ name: metricName, help, labelNames, registers: [registry] });
    for (const s of samples) {
      const labels: Record<string, string> = Object.fromEntries(labelNames.map((l) => [l, '']));
      for (const [k, v] of Object.entries(s.labels)) labels[promName(k)] = v;
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
    if (s.name === 'watermark' && Number.isFinite(s.value)) {
      derived.push({ name: 'watermark_age_ms', labels: s.labels, value: at - s.value, kind: 'gauge' });
    } else if (s.name === 'checkpoint_last_completed_at') {
      derived.push({ name: 'checkpoint_age_ms', labels: s.labels, value: at - s.value, kind: 'gauge' });
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
 * Help text of every metric streamkit's own stages set (names before the `streamkit_` prefix and
 * `_total` suffix). Names listed but set by an optional stage appear once that stage runs.
 */
export const METRIC_HELP: Readonly<Record<string, string>> = {
  records_in: 'Records read by the source',
  records_out: 'Records emitted per operator or written to sinks',
  records_filtered: 'Records removed by filter',
  records_late: 'Records dropped from expired windows (sent to the late output)',
  dead_letters: 'Bad records sent to the dead-letter output',
  dedup_dropped: 'Records dropped by dedup as duplicates',
  dedup_ids: 'Ids dedup currently remembers',
  window_panes: 'Window panes emitted',
  window_late: 'Records the window operator found late for an expired window',
  window_state_windows: 'Windows held in window state',
  join_buffered: 'Records an interval join holds per side, waiting for partners',
  join_pairs: 'Pairs an interval join emitted',
  join_matched: 'Records an interval join evicted after they joined at least one partner, per side',
  join_unmatched: 'Records an interval join evicted without a partner, per side (emitted with null for left/outer sides)',
  watermark: 'Current event-time watermark (epoch ms)',
  watermark_lag_ms: 'Processing time minus watermark when the watermark last advanced (ms)',
  watermark_age_ms: 'Wall clock minus watermark at scrape time (ms); grows while the watermark stalls',
  partition_watermark: 'Watermark of one source partition (epoch ms; -Inf before its first record)',
  partition_idle: '1 while a source partition is idle and ignored by the stream watermark',
  checkpoints_completed: 'Checkpoints completed',
  checkpoint_duration_ms: 'Duration of the last checkpoint, barrier to commit (ms)',
  checkpoint_entries: 'State entries written by the last checkpoint (its size)',
  checkpoint_bytes: 'Encoded bytes of state (keys and values) written by the last checkpoint',
  checkpoint_bytes_written: 'Encoded bytes of state written by all checkpoints',
  checkpoint_last_completed_at: 'When the last checkpoint completed (epoch ms)',
  checkpoint_age_ms: 'Wall clock minus the last completed checkpoint at scrape time (ms)',
  backpressure_ms: 'Time the pipeline waited for sink credits (ms)',
  channel_in_flight_records: 'Records queued between the operators and the sinks',
  channel_peak_records: 'Most records ever queued between the operators and the sinks',
  kafka_consumer_lag: 'Kafka partition high watermark minus the next offset to read',
  kafka_consumer_restarts: 'Kafka consumers replaced after kafkajs stopped one for good (a broker restart)',
};

const HELP = METRIC_HELP;
