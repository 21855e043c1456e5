// The "Hand-off between threads" section of docs/benchmarks.md, from bench/results/exchange-latest.json
// (written by bench/exchange.bench.ts).

/** One row of exchange-latest.json. */
export interface ExchangeRow {
  name: string;
  transport?: string;
  batchSize?: number;
  medianMs: number;
  rmePercent: number;
  samples: number;
  recordsPerOp: number;
  /** Median wall time of an operation divided by its records. */
  nsPerRecord: number;
  /** Busy (event-loop active) time of the sending thread per record (transports only). */
  senderBusyNsPerRecord?: number;
  /** Busy (event-loop active) time of the receiving thread per record (transports only). */
  receiverBusyNsPerRecord?: number;
}

/** exchange-latest.json. */
export interface ExchangeResults {
  date: string;
  node: string;
  cores: number;
  loadAverage?: number[];
  credits: number;
  recordsPerOp: number;
  totalSeconds: number;
  results: ExchangeRow[];
}

/** The transport the exchange channel uses, as its rows are named. */
const CHANNEL = 'clone (exchange channel)';

const ns = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x).toLocaleString('en-US')} ns`);

export function exchangeSection(r: ExchangeResults): string[] {
  const handOffs = r.results.filter((x) => x.transport !== undefined);
  const others = r.results.filter((x) => x.transport === undefined);
  const sizes = [...new Set(handOffs.map((x) => x.batchSize!))];
  const fastest = sizes.map((size) => {
    const rows = handOffs.filter((x) => x.batchSize === size);
    return rows.reduce((a, b) => (b.nsPerRecord < a.nsPerRecord ? b : a));
  });
  const find = (prefix: string) => others.find((x) => x.name.includes(prefix));
  const window = find('tumbling');
  const silver = find('Silver rules');
  const channel512 = handOffs.find((x) => x.transport === CHANNEL && x.batchSize === 512);
  const load = r.loadAverage ? `, load average ${r.loadAverage[0].toFixed(1)} on ${r.cores} cores` : '';
  const lines = [
    '## Hand-off between threads (`bench/exchange.bench.ts`)',
    '',
    `tinybench, ${r.date}, ${r.totalSeconds} s in all${load}. Taxi Silver rows (23 columns) cross from the main thread to a worker thread in batches, ` +
      `at most ${r.credits} frames in flight; one operation sends ${r.recordsPerOp.toLocaleString('en-US')} records and a barrier and waits until the worker has taken them. ` +
      'Per record: the wall time of an operation divided by its records (the slower thread bounds it), and the busy time (the active part of the event loop) of the sending and of the receiving thread. ' +
      'The candidates: **clone**, the exchange channel: one `postMessage` per frame, structured clone, values checked before sending (also shown unchecked); ' +
      '**v8-transfer**: `v8.serialize` of each frame into an ArrayBuffer that is transferred, not copied; ' +
      '**shared-ring**: `v8.serialize` copied into a slot of a `SharedArrayBuffer` ring, `Atomics.waitAsync` and `Atomics.notify` instead of messages.',
    '',
    '| hand-off | batch | wall per record | sending thread | receiving thread | rme |',
    '|---|---|---|---|---|---|',
    ...handOffs.map(
      (x) =>
        `| ${x.transport} | ${x.batchSize!.toLocaleString('en-US')} | ${ns(x.nsPerRecord)} | ${ns(x.senderBusyNsPerRecord)} | ${ns(x.receiverBusyNsPerRecord)} | ±${x.rmePercent.toFixed(1)} % |`,
    ),
    '',
    'In the same run, on one thread, per record:',
    '',
    '| work | time per record | rme |',
    '|---|---|---|',
    ...others.map((x) => `| ${x.name.replace(/^(operator|part): /, '')} | ${ns(x.nsPerRecord)} | ±${x.rmePercent.toFixed(1)} % |`),
    '',
    `Fastest by wall time, per batch size: ${fastest.map((x) => `${x.batchSize!.toLocaleString('en-US')}, ${x.transport}`).join('; ')}.`,
    "Every candidate runs V8's serializer over each record on the sending thread and its deserializer on the receiving one " +
      '(the `v8.serialize` and `v8.deserialize` rows); what differs is only how the bytes travel. ' +
      'The transferred buffer adds an allocation per frame, the shared ring a copy into its slot and back, ' +
      'so the exchange channel posts frames with structured clone, the simplest of the three.',
  ];
  if (channel512 && window && silver) {
    const handOff = (channel512.senderBusyNsPerRecord ?? 0) + (channel512.receiverBusyNsPerRecord ?? 0);
    lines.push(
      `At batches of 512 the channel costs the two threads ${ns(handOff)} per record together, ` +
        `${(handOff / window.nsPerRecord).toFixed(1)}× the tumbling-window aggregate (${ns(window.nsPerRecord)}) and ` +
        `${(handOff / silver.nsPerRecord).toFixed(1)}× the Silver rules (${ns(silver.nsPerRecord)}).`,
    );
  }
  lines.push('');
  return lines;
}
