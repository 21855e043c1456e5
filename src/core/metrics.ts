import type { MetricDefinition } from './metric-catalogue.js';

/**
 * Counters and gauges, namespaced by stage. Cheap enough for hot paths (a Map lookup per batch, not
 * per record). Exporters (Prometheus text, typed events) read `snapshot()`.
 */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  kind: 'counter' | 'gauge';
}

/** A metric to record: one of {@link METRICS}, or the name of an application's own metric. */
export type MetricRef<K extends MetricSample['kind']> = MetricDefinition<K> | string;

/** The labels a catalogued metric takes (a user's own metric takes any). */
type LabelsOf<M> = M extends MetricDefinition<MetricSample['kind'], infer L> ? Record<L, string> : Record<string, string>;

/**
 * A registry of counters and gauges. streamkit records the metrics of {@link METRICS} through it;
 * applications may add their own by name beside them.
 * @example
 * const metrics = new Metrics();
 * metrics.inc(METRICS.recordsIn, { stage: 'source' }, 3);
 * metrics.get(METRICS.recordsIn, { stage: 'source' }); // 3
 */
export class Metrics {
  /**
   * @param samples shared by every view of one registry.
   * @param base labels every sample of this view carries.
   */
  constructor(
    private readonly samples = new Map<string, MetricSample>(),
    private readonly base: Record<string, string> = {},
  ) {
    this.hasBase = Object.keys(base).length > 0;
  }

  private readonly hasBase: boolean;

  /**
   * A view of the same registry that adds `labels` to everything it records (a partition's task
   * records under `{ task }`, so its gauges do not overwrite another task's).
   */
  withLabels(labels: Record<string, string>): Metrics {
    return new Metrics(this.samples, { ...this.base, ...labels });
  }

  private sample(kind: MetricSample['kind'], name: string, given: Record<string, string>): MetricSample {
    const labels = this.labelled(given);
    const id = labelId(name, labels);
    let s = this.samples.get(id);
    if (!s) {
      s = { name, labels, value: 0, kind };
      this.samples.set(id, s);
    }
    return s;
  }

  /** The live sample of a counter, for hot paths that add to it often without a lookup. */
  counter<M extends MetricRef<'counter'>>(metric: M, labels: LabelsOf<M> = {} as LabelsOf<M>): MetricSample {
    return this.sample('counter', nameOf(metric), labels);
  }

  /** The live sample of a gauge, to set often without a lookup. */
  gauge<M extends MetricRef<'gauge'>>(metric: M, labels: LabelsOf<M> = {} as LabelsOf<M>): MetricSample {
    return this.sample('gauge', nameOf(metric), labels);
  }

  /** Adds `by` to a counter. */
  inc<M extends MetricRef<'counter'>>(metric: M, labels: LabelsOf<M> = {} as LabelsOf<M>, by = 1): void {
    this.sample('counter', nameOf(metric), labels).value += by;
  }

  /** Sets a gauge. */
  set<M extends MetricRef<'gauge'>>(metric: M, labels: LabelsOf<M>, value: number): void {
    this.sample('gauge', nameOf(metric), labels).value = value;
  }

  /** Reads one metric's value (0 if never touched). */
  get(metric: MetricRef<MetricSample['kind']>, labels: Record<string, string> = {}): number {
    return this.samples.get(labelId(nameOf(metric), this.labelled(labels)))?.value ?? 0;
  }

  private labelled(labels: Record<string, string>): Record<string, string> {
    return this.hasBase ? { ...this.base, ...labels } : labels;
  }

  /** Sums a counter over every label set (of every view). */
  total(metric: MetricRef<MetricSample['kind']>): number {
    const name = nameOf(metric);
    let sum = 0;
    for (const s of this.samples.values()) if (s.name === name) sum += s.value;
    return sum;
  }

  snapshot(): MetricSample[] {
    return [...this.samples.values()].map((s) => ({ ...s, labels: { ...s.labels } }));
  }
}

function nameOf(metric: MetricRef<MetricSample['kind']>): string {
  return typeof metric === 'string' ? metric : metric.name;
}

function labelId(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return name;
  keys.sort();
  let id = name;
  for (const k of keys) id += `|${k}=${labels[k]}`;
  return id;
}
