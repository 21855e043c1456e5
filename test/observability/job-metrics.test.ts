import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRIC_DEFINITIONS, METRICS, TASK_LABEL } from '../../src/core/metric-catalogue.js';
import {
  boundedOutOfOrderness,
  count,
  from,
  fromArray,
  memoryState,
  prometheusText,
  sum,
  toArray,
  tumbling,
  type DeadLetter,
  type LateRecord,
} from '../../src/index.js';

interface Trip {
  id: string;
  zone: number;
  at: number;
  fare: number;
}

const T0 = Date.UTC(2024, 0, 15, 9);

/**
 * A taxi-like input whose fate is known record by record: duplicates, bad timestamps, negative
 * fares (filtered) and records behind an expired window are planted at known places.
 */
function trips() {
  const input: Trip[] = [];
  const expected = { duplicates: 0, bad: 0, filtered: 0, late: 0 };
  for (let i = 0; i < 300; i++) {
    const trip = { id: `t${i}`, zone: i % 3, at: T0 + i * 10_000, fare: 5 + (i % 7) };
    if (i % 25 === 7) {
      input.push({ ...trip, at: Number.NaN });
      expected.bad++;
      continue;
    }
    if (i % 40 === 11) {
      input.push({ ...trip, fare: -1 });
      expected.filtered++;
      continue;
    }
    input.push(trip);
    if (i % 20 === 5) {
      input.push({ ...trip }); // a redelivery: the same trip again
      expected.duplicates++;
    }
  }
  // Far behind the watermark (the first 5-minute windows closed long ago): late, each for its one window.
  for (let j = 0; j < 4; j++) input.push({ id: `late${j}`, zone: j % 3, at: T0 + j * 1000, fare: 1 });
  expected.late = 4;
  return { input, expected };
}

function job(input: Trip[]) {
  const out = toArray<{ value: { trips: number; fare: number } }>();
  const late = toArray<LateRecord<Trip>>();
  const dead = toArray<DeadLetter>();
  const stream = from(fromArray(input, { batchSize: 16 }))
    .withTimestamps((t) => t.at, boundedOutOfOrderness('30s'))
    .filter((t) => t.fare >= 0)
    .dedup((t) => t.id, { within: '1h' })
    .uid('trip-dedup')
    .keyBy((t) => t.zone)
    .window(tumbling('5m'))
    .uid('zone-5m')
    .aggregate({ trips: count(), fare: sum((t: Trip) => t.fare) })
    .late(late)
    .deadLetters(dead)
    .to(out);
  return { stream, out, late, dead };
}

/** Prometheus samples by series (`name{labels}`), streamkit's only. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('streamkit_')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

describe('the metrics of a real job', () => {
  it('count each record once, where it ended, with no empty label, and agree with the summary', async () => {
    const { input, expected } = trips();
    const { stream, out, late, dead } = job(input);
    const run = stream.run({ state: memoryState(), checkpointEvery: { records: 100 } });
    const summary = await run;
    const text = await prometheusText(run.metrics, new Registry(), () => T0);
    const values = samples(text);

    expect(text).not.toContain('=""');
    expect(late.items).toHaveLength(expected.late);
    expect(dead.items).toHaveLength(expected.bad);

    expect(values.get('streamkit_records_in_total{stage="source"}')).toBe(input.length);
    expect(values.get('streamkit_records_filtered_total{operator="1-filter"}')).toBe(expected.filtered);
    expect(values.get('streamkit_dedup_dropped_total{operator="trip-dedup"}')).toBe(expected.duplicates);
    expect(values.get('streamkit_dead_letters_total{operator="0-withTimestamps"}')).toBe(expected.bad);
    expect(values.get('streamkit_records_late_total{operator="zone-5m"}')).toBe(expected.late);
    expect(values.get('streamkit_results_out_total')).toBe(out.items.length);
    // The window operator's output is its panes, counted once (no second counter of the same panes).
    expect(values.get('streamkit_records_out_total{operator="zone-5m"}')).toBe(out.items.length);
    expect([...values.keys()].filter((k) => /late|panes/.test(k))).toEqual(['streamkit_records_late_total{operator="zone-5m"}']);

    // Nothing lost, nothing doubled: every record read is a result's input, late, a dead letter, filtered or a duplicate.
    const inResults = out.items.reduce((n, r) => n + r.value.trips, 0);
    expect(inResults + expected.late + expected.bad + expected.filtered + expected.duplicates).toBe(input.length);

    expect(summary).toMatchObject({
      records: run.metrics.get(METRICS.recordsIn, { stage: 'source' }),
      results: run.metrics.total(METRICS.resultsOut),
      late: run.metrics.total(METRICS.recordsLate),
      deadLetters: run.metrics.total(METRICS.deadLetters),
      filtered: run.metrics.total(METRICS.recordsFiltered),
      duplicates: run.metrics.total(METRICS.dedupDropped),
      checkpoints: run.metrics.total(METRICS.checkpointsCompleted),
    });
    expect(summary.checkpoints).toBeGreaterThan(0);
  });

  it('records only catalogued metrics, each with its declared kind and labels', async () => {
    const { input } = trips();
    const { stream } = job(input);
    const run = stream.run({ state: memoryState(), checkpointEvery: { records: 100 } });
    await run;
    const byName = new Map(METRIC_DEFINITIONS.map((d) => [d.name, d]));
    const recorded = run.metrics.snapshot();
    expect(recorded.length).toBeGreaterThan(10);
    for (const sample of recorded) {
      const definition = byName.get(sample.name);
      expect(definition, sample.name).toBeDefined();
      expect(definition!.derived, sample.name).toBeUndefined();
      expect(sample.kind, sample.name).toBe(definition!.kind);
      for (const [label, value] of Object.entries(sample.labels)) {
        expect([...definition!.labels, TASK_LABEL], `${sample.name} ${label}`).toContain(label);
        expect(value, `${sample.name} ${label}`).not.toBe('');
      }
    }
  });
});
