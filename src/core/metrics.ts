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

export class Metrics {
  private readonly samples = new Map<string, MetricSample>();

  private sample(kind: MetricSample['kind'], name: string, labels: Record<string, string>): MetricSample {
    const id = labelId(name, labels);
    let s = this.samples.get(id);
    if (!s) {
      s = { name, labels, value: 0, kind };
      this.samples.set(id, s);
    }
    return s;
  }

  /** The live sample of a counter, for hot paths that add to it often without a lookup. */
  counter(name: string, labels: Record<string, string> = {}): MetricSample {
    return this.sample('counter', name, labels);
  }

  /** The live sample of a gauge, to set often without a lookup. */
  gauge(name: string, labels: Record<string, string> = {}): MetricSample {
    return this.sample('gauge', name, labels);
  }

  /** Adds `by` to a counter. */
  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    this.sample('counter', name, labels).value += by;
  }

  /** Sets a gauge. */
  set(name: string, labels: Record<string, string>, value: number): void {
    this.sample('gauge', name, labels).value = value;
  }

  /** Reads one metric's value (0 if never touched). */
  get(name: string, labels: Record<string, string> = {}): number {
    return this.samples.get(labelId(name, labels))?.value ?? 0;
  }

  /** Sums a counter over every label set. */
  total(name: string): number {
    let sum = 0;
    for (const s of this.samples.values()) if (s.name === name) sum += s.value;
    return sum;
  }

  snapshot(): MetricSample[] {
    return [...this.samples.values()].map((s) => ({ ...s, labels: { ...s.labels } }));
  }
}

function labelId(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return name;
  keys.sort();
  let id = name;
  for (const k of keys) id += `|${k}=${labels[k]}`;
  return id;
}
