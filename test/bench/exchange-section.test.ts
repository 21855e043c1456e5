import { describe, expect, it } from 'vitest';
import { exchangeSection, type ExchangeRow } from '../../bench/report/exchange-section.js';

const row = (name: string, nsPerRecord: number, extra: Partial<ExchangeRow> = {}): ExchangeRow => ({
  name,
  medianMs: 1,
  rmePercent: 5,
  samples: 10,
  recordsPerOp: 16_384,
  nsPerRecord,
  ...extra,
});

const handOff = (transport: string, batchSize: number, wall: number, sender: number, receiver: number) =>
  row(`hand-off: ${transport}, batches of ${batchSize}`, wall, {
    transport,
    batchSize,
    senderBusyNsPerRecord: sender,
    receiverBusyNsPerRecord: receiver,
  });

const lines = exchangeSection({
  date: '2026-12-07T21:00:00.000Z',
  node: 'v20.20.2',
  cores: 2,
  loadAverage: [1.25, 1, 1],
  credits: 8,
  recordsPerOp: 16_384,
  totalSeconds: 30,
  results: [
    row('operator: taxi Silver rules (toSilver), 4,096 trips', 2000),
    row('operator: tumbling 5m window, count+sum+2 avg (windowOperator), 4,096 rows', 500),
    handOff('clone (exchange channel)', 512, 3000, 1000, 1500),
    handOff('shared-ring', 512, 4000, 2000, 2000),
    handOff('clone (exchange channel)', 64, 3500, 1200, 1600),
    handOff('shared-ring', 64, 3400, 1300, 1700),
  ],
});
const text = lines.join('\n');

describe('exchangeSection', () => {
  it('has one table row per hand-off and per one-thread measurement', () => {
    expect(text).toContain('| clone (exchange channel) | 512 | 3,000 ns | 1,000 ns | 1,500 ns | ±5.0 % |');
    expect(text).toContain('| shared-ring | 64 | 3,400 ns | 1,300 ns | 1,700 ns | ±5.0 % |');
    expect(text).toContain('| tumbling 5m window, count+sum+2 avg (windowOperator), 4,096 rows | 500 ns | ±5.0 % |');
    expect(text).toContain('load average 1.3 on 2 cores');
  });

  it('names the fastest transport per batch size and compares the channel with the operators', () => {
    expect(text).toContain('Fastest by wall time, per batch size: 512, clone (exchange channel); 64, shared-ring.');
    expect(text).toContain(
      'the channel costs the two threads 2,500 ns per record together, 5.0× the tumbling-window aggregate (500 ns) and 1.3× the Silver rules (2,000 ns)',
    );
  });
});
