import { describe, expect, it } from 'vitest';
import { boundedOutOfOrderness, count, from, toArray, tumbling, type RuntimeEvent } from '../../src/index.js';
import { keyOfText } from '../../src/observability/state-routes.js';
import { PausedSource } from '../runtime/fixtures/paused-source.js';

interface Click {
  user: string | number;
  at: number;
}

const T0 = 1_700_000_000_000;

async function getJson(url: string): Promise<{ status: number; body: any; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), type: res.headers.get('content-type') };
}

describe('GET /state/… on the metrics server', () => {
  it('serves the same reads as job.query, 404s for an unknown uid or key, and lists entries', async () => {
    const events: RuntimeEvent[] = [];
    const source = new PausedSource<Click>();
    const job = from(source)
      .withTimestamps((c) => c.at, boundedOutOfOrderness('1h'))
      .keyBy((c) => c.user)
      .window(tumbling('1s'))
      .aggregate(count())
      .to(toArray())
      .run({ metrics: { port: 0 }, onEvent: (e) => events.push(e) });
    source.push([
      { user: 114, at: T0 },
      { user: 114, at: T0 + 10 },
      { user: '114', at: T0 + 20 },
      { user: 'ann/b', at: T0 + 30 },
      { user: 'bob', at: T0 + 1200 },
    ]);
    await source.drained();
    const listening = events.find((e) => e.type === 'metrics.server.listening') as { port: number };
    const base = `http://127.0.0.1:${listening.port}/state/${encodeURIComponent('window#0')}`;
    const window = (start: number, value: number) => [{ window: { start, end: start + 1000 }, value, fired: false }];

    const number = await getJson(`${base}/114`);
    expect(number).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(number.body).toEqual({ uid: 'window#0', key: 114, value: window(T0, 2) });
    expect(number.body.value).toEqual(await job.query('window#0').get(114));
    // "114" in JSON is the string key; text that is not JSON is a string too.
    expect((await getJson(`${base}/${encodeURIComponent('"114"')}`)).body).toEqual({ uid: 'window#0', key: '114', value: window(T0, 1) });
    expect((await getJson(`${base}/bob`)).body).toEqual({ uid: 'window#0', key: 'bob', value: window(T0 + 1000, 1) });
    expect((await getJson(`${base}/${encodeURIComponent('ann/b')}`)).body.value).toEqual(window(T0, 1));

    const unknownKey = await getJson(`${base}/carol`);
    expect(unknownKey.status).toBe(404);
    expect(unknownKey.body.error).toMatch(/no state for key "carol"/);
    const unknownUid = await getJson(`http://127.0.0.1:${listening.port}/state/nope/114`);
    expect(unknownUid.status).toBe(404);
    expect(unknownUid.body.error).toMatch(/no stateful operator has this id; its stateful operators are "window#0"/);

    const listing = await getJson(base);
    expect(listing.status).toBe(200);
    expect(listing.body).toEqual({ uid: 'window#0', entries: await job.query('window#0').entries() });
    expect(listing.body.entries.map((e: { key: unknown }) => e.key)).toEqual([114, '114', 'ann/b', 'bob']);
    expect((await getJson(`${base}?limit=2`)).body.entries.map((e: { key: unknown }) => e.key)).toEqual([114, '114']);
    expect((await getJson(`${base}?from=a&to=b`)).body.entries.map((e: { key: unknown }) => e.key)).toEqual(['ann/b']);
    expect((await getJson(`${base}?limit=-1`)).status).toBe(400);

    // Read-only, and /metrics still served.
    expect((await fetch(`${base}/114`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${listening.port}/metrics`)).status).toBe(200);
    await job.stop();
  });

  it('reads a key from URL text as JSON when it parses, else as the text', () => {
    expect(keyOfText('114')).toBe(114);
    expect(keyOfText('"114"')).toBe('114');
    expect(keyOfText('abc')).toBe('abc');
    expect(keyOfText('{"zone":7}')).toEqual({ zone: 7 });
    expect(keyOfText('null')).toBeNull();
  });
});
