import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/core/metric-catalogue.js';
import { Metrics } from '../../src/core/metrics.js';
import { prometheusText, serveMetrics } from '../../src/observability/index.js';

const noProcess = () => new Registry();

describe('prometheusText', () => {
  it('renders counters with _total, gauges as they are, and each sample with its own labels only', async () => {
    const m = new Metrics();
    m.inc(METRICS.recordsIn, { stage: 'source' }, 5);
    m.inc(METRICS.recordsOut, { operator: '0-map' }, 4);
    m.withLabels({ task: 'trips/0' }).inc(METRICS.recordsOut, { operator: '1-window' }, 2);
    m.set(METRICS.channelInFlight, {}, 3);
    const text = await prometheusText(m, noProcess());
    expect(text).toContain(
      '# HELP streamkit_records_in_total Records read by the source\n# TYPE streamkit_records_in_total counter\nstreamkit_records_in_total{stage="source"} 5',
    );
    expect(text).toContain('streamkit_records_out_total{operator="0-map"} 4');
    expect(text).toContain('streamkit_records_out_total{operator="1-window",task="trips/0"} 2');
    expect(text).not.toContain('=""');
    expect(text).toContain('# TYPE streamkit_channel_in_flight_records gauge\nstreamkit_channel_in_flight_records 3');
  });

  it("turns an application's dotted and dashed names into valid Prometheus names", async () => {
    const m = new Metrics();
    m.inc('orders.imported', { shop: 'berlin' }, 7);
    m.set('queue.depth-now', { 'queue.name': 'orders', partition: '0' }, 12);
    const text = await prometheusText(m, noProcess());
    expect(text).toContain('streamkit_orders_imported_total{shop="berlin"} 7');
    expect(text).toContain('streamkit_queue_depth_now{partition="0",queue_name="orders"} 12');
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? \S+$/);
    }
  });

  it('leaves out a label whose value is empty', async () => {
    const m = new Metrics();
    m.inc('orders_imported', { shop: '', region: 'eu' }, 1);
    const text = await prometheusText(m, noProcess());
    expect(text).toContain('streamkit_orders_imported_total{region="eu"} 1');
    expect(text).not.toContain('shop=');
  });

  it('computes watermark and checkpoint ages at scrape time, so a stall shows as growing lag', async () => {
    const m = new Metrics();
    m.set(METRICS.watermark, { operator: '0-withTimestamps' }, 1);
    m.set(METRICS.watermark, { operator: '4-withTimestamps' }, -Infinity);
    m.set(METRICS.checkpointLastCompleted, {}, 5);
    const at6s = await prometheusText(m, noProcess(), () => 6_000);
    expect(at6s).toContain('streamkit_watermark_age_seconds{operator="0-withTimestamps"} 5');
    expect(at6s).toContain('streamkit_checkpoint_age_seconds 1');
    expect(at6s).toContain('streamkit_watermark_timestamp_seconds{operator="4-withTimestamps"} -Inf');
    expect(at6s).not.toContain('streamkit_watermark_age_seconds{operator="4-withTimestamps"}');
    const at9s = await prometheusText(m, noProcess(), () => 9_000);
    expect(at9s).toContain('streamkit_watermark_age_seconds{operator="0-withTimestamps"} 8');
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
