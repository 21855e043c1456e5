import { describe, expect, it } from 'vitest';
import {
  boundedOutOfOrderness,
  count,
  createLogger,
  from,
  fromIterable,
  memoryState,
  toArray,
  tumbling,
  type DeadLetter,
  type RuntimeEvent,
} from '../../src/index.js';

interface Click {
  user: string;
  at: unknown;
}

/** An unbounded source: a click every step of 10 ms event time, every tenth with a bad timestamp. */
async function* clicks(): AsyncGenerator<Click> {
  const t0 = Date.UTC(2024, 0, 15, 9);
  for (let i = 0; ; i++) {
    yield { user: `u${i % 3}`, at: i % 10 === 9 ? 'not a time' : t0 + i * 10 };
    // Give the event loop a turn now and then, as a real network source would.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Parses Prometheus text into `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

function find(values: Map<string, number>, prefix: string): Array<[string, number]> {
  return [...values].filter(([k]) => k === prefix || k.startsWith(`${prefix}{`));
}

describe('run({ metrics: { port: 0 } })', () => {
  it('serves live counters over HTTP while an unbounded job runs, and closes the port when it stops', async () => {
    const events: RuntimeEvent[] = [];
    const logLines: string[] = [];
    let listening: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => (listening = resolve));
    const out = toArray();
    const dead = toArray<DeadLetter>();
    const job = from(fromIterable(clicks()))
      .withTimestamps((c) => c.at as number, boundedOutOfOrderness('100ms'))
      .filter((c) => c.user !== 'u2')
      .keyBy((c) => c.user)
      .window(tumbling('1s'))
      .aggregate(count())
      .deadLetters(dead)
      .to(out)
      .run({
        batchSize: 64,
        state: memoryState(),
        checkpointEvery: { records: 200 },
        metrics: { port: 0 },
        logger: createLogger({ level: 'debug', json: true, write: (line) => logLines.push(line) }),
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'metrics.server.listening') listening(event.port);
        },
      });

    let ended = false;
    job.then(
      () => (ended = true),
      () => (ended = true),
    );
    const url = `http://127.0.0.1:${await port}/metrics`;
    let values = new Map<string, number>();
    // Scrape until the job has read enough for every kind of metric to have moved.
    while (!ended) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      values = parse(await response.text());
      const read = values.get('streamkit_records_in_total{stage="source"}') ?? 0;
      const checkpoints = values.get('streamkit_checkpoints_completed_total') ?? 0;
      const panes = find(values, 'streamkit_records_out_total')
        .filter(([k]) => k.includes('window'))
        .reduce((a, [, v]) => a + v, 0);
      if (read >= 2_000 && checkpoints >= 2 && panes >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ended).toBe(false); // an unbounded job runs until stopped
    job.stop();
    const summary = await job;

    const read = values.get('streamkit_records_in_total{stage="source"}')!;
    // Every tenth click has a bad timestamp and goes to dead letters from the withTimestamps stage.
    const deadLetters = find(values, 'streamkit_dead_letters_total');
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0][0]).toMatch(/operator="0-withTimestamps"/);
    expect(deadLetters[0][1]).toBeGreaterThan(0);
    expect(deadLetters[0][1]).toBeLessThanOrEqual(Math.ceil(read / 10));
    // A third of the good clicks are u2 and are filtered.
    const filtered = find(values, 'streamkit_records_filtered_total');
    expect(filtered).toHaveLength(1);
    expect(filtered[0][1]).toBeGreaterThan(0);
    // Each operator counts what it emits: timestamps passes good records on, filter fewer.
    const stampedOut = find(values, 'streamkit_records_out_total').find(([k]) => k.includes('withTimestamps'))![1];
    const filterOut = find(values, 'streamkit_records_out_total').find(([k]) => k.includes('filter'))![1];
    expect(stampedOut + deadLetters[0][1]).toBeLessThanOrEqual(read);
    expect(filterOut + filtered[0][1]).toBe(stampedOut);

    const watermark = find(values, 'streamkit_watermark_timestamp_seconds');
    expect(watermark).toHaveLength(1);
    expect(watermark[0][1]).toBeGreaterThanOrEqual(Date.UTC(2024, 0, 15, 9) / 1000);
    expect(find(values, 'streamkit_watermark_lag_seconds')[0][1]).toBeGreaterThan(0);
    expect(find(values, 'streamkit_watermark_age_seconds')[0][1]).toBeGreaterThan(0);
    expect(find(values, 'streamkit_partition_watermark_timestamp_seconds')).toEqual([
      ['streamkit_partition_watermark_timestamp_seconds{operator="0-withTimestamps",partition="0"}', watermark[0][1]],
    ]);
    expect(find(values, 'streamkit_partition_idle')[0][1]).toBe(0);
    expect(values.get('streamkit_checkpoint_duration_seconds')).toBeGreaterThanOrEqual(0);
    expect(values.get('streamkit_checkpoint_entries')).toBeGreaterThan(0);
    expect(values.get('streamkit_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(values.get('streamkit_backpressure_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(values.has('streamkit_channel_in_flight_records')).toBe(true);
    // Node process metrics come along.
    expect(values.get('streamkit_process_resident_memory_bytes')).toBeGreaterThan(0);

    // The summary covers at least what the scrape saw.
    expect(summary.stopped).toBe(true);
    expect(summary.records).toBeGreaterThanOrEqual(read);
    expect(summary.deadLetters).toBe(dead.items.length);
    expect(summary.checkpoints).toBeGreaterThanOrEqual(2);
    expect(job.metrics.get('records_in', { stage: 'source' })).toBe(summary.records);

    // Typed events in order, and the same story in the log.
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('metrics.server.listening');
    expect(types[1]).toBe('job.started');
    expect(types.at(-1)).toBe('job.finished');
    expect(types.filter((t) => t === 'checkpoint.completed').length).toBe(summary.checkpoints);
    const logged = logLines.map((l) => JSON.parse(l));
    expect(logged[0]).toMatchObject({ level: 'info', msg: 'metrics served', url });
    expect(logged[1]).toMatchObject({ level: 'info', msg: 'job started' });
    expect(logged.filter((l) => l.msg === 'checkpoint completed').every((l) => l.level === 'debug')).toBe(true);
    expect(logged.at(-1)).toMatchObject({ level: 'info', msg: 'job stopped', records: summary.records, checkpoints: summary.checkpoints });

    // The port is released with the job.
    await expect(fetch(url)).rejects.toThrow();
  });

  it('reports a busy port with the option name, and releases nothing it did not take', async () => {
    const events: RuntimeEvent[] = [];
    let listening: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => (listening = resolve));
    const first = from(fromIterable(clicks())).run({
      metrics: { port: 0 },
      onEvent: (e) => e.type === 'metrics.server.listening' && listening(e.port),
    });
    const taken = await port;
    const second = from(fromIterable(clicks())).run({ metrics: { port: taken }, onEvent: (e) => events.push(e) });
    await expect(second).rejects.toThrow(
      new RegExp(`metrics.port ${taken}: cannot listen on 127.0.0.1 \\(EADDRINUSE\\); choose a free port or 0`),
    );
    first.stop();
    await first;
    expect(events).toEqual([]);
  });
});
