import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/core/metrics.js';
import { prometheusText, serveMetrics } from '../../src/observability/index.js';

const noProcess = () => new Registry();

describe('prometheusText', () => {
  it('renders counters with _total, gauges as they are, and labels sorted and filled', async () => {
    const m = new Metrics();
    m.inc('records_in', { stage: 'source' }, 5);
    m.inc('records_out', { operator: '0-map' }, 4);
    m.inc('records_out', { stage: 'sink' }, 2);
    m.set('channel_in_flight_records', {}, 3);
    const text = await prometheusText(m, noProcess());
    expect(text).toContain(
      '# HELP streamkit_records_in_total Records read by the source\n# TYPE streamkit_records_in_total counter\nstreamkit_records_in_total{stage="source"} 5',
    );
    expect(text).toContain('streamkit_records_out_total{operator="0-map",stage=""} 4');
    expect(text).toContain('streamkit_records_out_total{operator="",stage="sink"} 2');
    expect(text).toContain('# TYPE streamkit_channel_in_flight_records gauge\nstreamkit_channel_in_flight_records 3');
  });

  it('turns dotted and dashed names into valid Prometheus names', async () => {
    const m = new Metrics();
    m.inc('window.panes', { operator: '3-window' }, 7);
    m.set('kafka.consumer-lag', { 'topic.name': 'trips', partition: '0' }, 12);
    const text = await prometheusText(m, noProcess());
    expect(text).toContain('streamkit_window_panes_total{operator="3-window"} 7');
    expect(text).toContain('streamkit_kafka_consumer_lag{partition="0",topic_name="trips"} 12');
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? \S+$/);
    }
  });

  it('computes watermark and checkpoint ages at scrape time, so a stall shows as growing lag', async () => {
    const m = new Metrics();
    m.set('watermark', { operator: '0-withTimestamps' }, 1_000);
    m.set('watermark', { operator: '4-withTimestamps' }, -Infinity);
    m.set('checkpoint_last_completed_at', {}, 5_000);
    const at6s = await prometheusText(m, noProcess(), () => 6_000);
    expect(at6s).toContain('streamkit_watermark_age_ms{operator="0-withTimestamps"} 5000');
    expect(at6s).toContain('streamkit_checkpoint_age_ms 1000');
    expect(at6s).toContain('streamkit_watermark{operator="4-withTimestamps"} -Inf');
    expect(at6s).not.toContain('streamkit_watermark_age_ms{operator="4-withTimestamps"}');
    const at9s = await prometheusText(m, noProcess(), () => 9_000);
    expect(at9s).toContain('streamkit_watermark_age_ms{operator="0-withTimestamps"} 8000');
  });
});

describe('serveMetrics', () => {
  it('answers GET /metrics, 404 elsewhere, and validates the port', async () => {
    const m = new Metrics();
    m.inc('records_in', { stage: 'source' }, 1);
    const server = await serveMetrics(m, { port: 0 });
    try {
      expect(server.host).toBe('127.0.0.1');
      const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(await ok.text()).toContain('streamkit_records_in_total{stage="source"} 1');
      const missing = await fetch(`http://127.0.0.1:${server.port}/other`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe('not found: try GET /metrics\n');
    } finally {
      await server.close();
    }
    await expect(serveMetrics(m, { port: 70_000 })).rejects.toThrow('metrics.port must be an integer from 0 to 65535, got 70000');
    await expect(serveMetrics(m, { port: 1.5 })).rejects.toThrow(RangeError);
  });
});
