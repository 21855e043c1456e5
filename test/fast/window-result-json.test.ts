import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLineWriter } from '../../src/fast/json-line-writer.js';
import { writeWindowResultJson } from '../../src/fast/window-result-json.js';

/** The text the window-result route writes, or undefined when it declines (and writes nothing). */
function windowResultJson(item: unknown): string | undefined {
  const out = new JsonLineWriter();
  out.ascii('prefix');
  const taken = writeWindowResultJson(item, out);
  const text = out.toString();
  if (!taken) {
    expect(text).toBe('prefix');
    return undefined;
  }
  expect(text.startsWith('prefix')).toBe(true);
  return text.slice('prefix'.length);
}

const render = (item: unknown) => windowResultJson(item) ?? JSON.stringify(item);

const numberArb = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1_704_085_200_000, 1e21));
const resultArb = fc.record({
  key: fc.oneof(fc.jsonValue(), numberArb, fc.constant(undefined)),
  window: fc.record({ start: numberArb, end: numberArb }),
  value: fc.oneof(
    fc.jsonValue(),
    fc.record({ trips: fc.integer(), revenue: numberArb }),
    fc.dictionary(
      fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('trips', 'revenue', 'ĀĒ', 'zoné')),
      fc.oneof(numberArb, fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null), fc.constant(undefined)),
    ),
    fc.constant(undefined),
  ),
  pane: fc.record({
    index: fc.nat(),
    timing: fc.oneof(fc.constantFrom('early', 'on-time', 'late'), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })),
  }),
  id: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }), fc.string({ unit: 'binary' })),
});

describe('writeWindowResultJson', () => {
  it('writes what JSON.stringify writes for window results', () => {
    fc.assert(
      fc.property(resultArb, fc.boolean(), (result, retraction) => {
        const item = retraction ? { ...result, retraction: true } : result;
        expect(render(item)).toBe(JSON.stringify(item));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes its own route for the results the window operator emits', () => {
    const result = {
      key: 7,
      window: { start: 1_704_085_200_000, end: 1_704_088_800_000 },
      value: { trips: 2, revenue: 31.4 },
      pane: { index: 0, timing: 'on-time' },
      id: '6ef05b898147f531adb463f432cbb0f8',
    };
    expect(windowResultJson(result)).toBe(JSON.stringify(result));
    expect(windowResultJson({ ...result, key: { zone: 'a"b' }, retraction: true })).toBe(
      JSON.stringify({ ...result, key: { zone: 'a"b' }, retraction: true }),
    );
    for (const value of [{ ĀĒ: 1, b: 2 }, { b: 2, ĀĒ: 1 }, { trips: 1 }, {}, { ĀĒ: 'é', b: true, c: null }]) {
      expect(windowResultJson({ ...result, value })).toBe(JSON.stringify({ ...result, value }));
    }
  });

  it('writes results sharing frozen window and pane objects as JSON.stringify does, whatever came before', () => {
    fc.assert(
      fc.property(
        fc.array(resultArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(5), { minLength: 1, maxLength: 12 }),
        (results, picks) => {
          const windows = results.map((r) => Object.freeze({ ...r.window }));
          const panes = results.map((r) => Object.freeze({ ...r.pane }));
          for (const i of picks) {
            const j = i % results.length;
            const item = { ...results[j], window: windows[(j + i) % windows.length], pane: panes[j] };
            expect(render(item)).toBe(JSON.stringify(item));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not reuse the text of a frozen window whose bounds are getters', () => {
    let start = 0;
    const window = Object.freeze({
      get start() {
        return (start += 10);
      },
      end: 100,
    });
    const item = { key: 1, window, value: 1, pane: { index: 0, timing: 'on-time' }, id: 'a' };
    expect(windowResultJson(item)).toBe(
      '{"key":1,"window":{"start":10,"end":100},"value":1,"pane":{"index":0,"timing":"on-time"},"id":"a"}',
    );
    expect(windowResultJson(item)).toBe(
      '{"key":1,"window":{"start":20,"end":100},"value":1,"pane":{"index":0,"timing":"on-time"},"id":"a"}',
    );
  });

  it('leaves anything else to JSON.stringify', () => {
    const base = { key: 1, window: { start: 0, end: 10 }, value: 3, pane: { index: 0, timing: 'late' }, id: 'x' };
    class Window {
      constructor(
        readonly start: number,
        readonly end: number,
      ) {}
    }
    const others: unknown[] = [
      null,
      3,
      'text',
      [base],
      { ...base, extra: 1 },
      Object.assign({ id: 'x' }, base),
      { ...base, retraction: false },
      { ...base, window: new Window(0, 10) },
      { ...base, window: { end: 10, start: 0 } },
      { ...base, window: { start: '0', end: 10 } },
      { ...base, pane: { index: 0, timing: 'late', extra: true } },
      { ...base, id: 7 },
      { ...base, value: { toJSON: (k: string) => `value under ${JSON.stringify(k)}` } },
      { ...base, key: new Date(0) },
      { ...base, toJSON: () => 'replaced' },
      Object.assign(Object.create({ inherited: 1 }), base),
    ];
    for (const item of others) {
      expect(windowResultJson(item)).toBeUndefined();
      expect(render(item)).toBe(JSON.stringify(item));
    }
  });
});
