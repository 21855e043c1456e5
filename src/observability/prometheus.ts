import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../core/metrics.js';

const PREFIX = 'streamkit_';

/**
 * Renders a job's metrics in the Prometheus text format, with Node's process metrics (RSS, heap,
 * event-loop lag) beside them. Counters get the conventional `_total` suffix.
 * @example const text = await prometheusText(job.metrics)
 */
export async function prometheusText(metrics: Metrics, processRegistry: Registry = defaultProcessRegistry()): Promise<string> {
  const registry = new Registry();
  const byName = new Map<string, ReturnType<Metrics['snapshot']>>();
  for (const sample of metrics.snapshot()) {
    const list = byName.get(sample.name) ?? [];
    list.push(sample);
    byName.set(sample.name, list);
  }
  for (const [name, samples] of byName) {
    const labelNames = [...new Set(samples.flatMap((s) => Object.keys(s.labels)))].sort();
    const counter = samples[0].kind === 'counter';
    const metricName = PREFIX + name + (counter && !name.endsWith('_total') ? '_total' : '');
    const metric = counter
      ? new Counter({ name: metricName, help: HELP[name] ?? name.replace(/_/g, ' '), labelNames, registers: [registry] })
      : new Gauge({ name: metricName, help: HELP[name] ?? name.replace(/_/g, ' '), labelNames, registers: [registry] });
    for (const s of samples) {
      const labels = Object.fromEntries(labelNames.map((l) => [l, s.labels[l] ?? '']));
      if (metric instanceof Counter) metric.inc(labels, s.value);
      else metric.set(labels, s.value);
    }
  }
  return Registry.merge([processRegistry, registry]).metrics();
}

let processRegistry: Registry | undefined;

/** One registry of Node process metrics per process (prom-client's default collectors). */
export function defaultProcessRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: PREFIX });
  }
  return processRegistry;
}

const HELP: Record<string, string> = {
  records_in: 'Records read by the source',
  records_out: 'Records emitted per operator or written to sinks',
  records_filtered: 'Records removed by filter',
  records_late: 'Records dropped from expired windows (sent to the late output)',
  dead_letters: 'Bad records sent to the dead-letter output',
  dedup_dropped: 'Records dropped by dedup as duplicates',
  watermark: 'Current event-time watermark (epoch ms)',
  watermark_lag_ms: 'Wall clock minus watermark (ms)',
  checkpoints_completed: 'Checkpoints completed',
  checkpoint_duration_ms: 'Duration of the last checkpoint (ms)',
  checkpoint_entries: 'State entries written by the last checkpoint',
  checkpoint_last_completed_at: 'When the last checkpoint completed (epoch ms)',
  backpressure_ms: 'Time the pipeline waited for sink credits (ms)',
  channel_in_flight_records: 'Records queued between the operators and the sinks',
};
