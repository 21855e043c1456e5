// The taxi job from the command line: `npm run taxi -- [--events N] [--seed S] [--out DIR] …`.
// Embedded by default (no broker, state in memory); `--brokers host:port` runs it through Kafka.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { groupDigits, progressBar } from './progress.js';
import { runTaxiJob, type TaxiJobOptions, type TaxiJobResult } from './pipeline.js';
import { GOLD_STREAMS } from './gold.js';

// Everything imported above has loaded by now: this is the start-up (Node, the TypeScript loader,
// streamkit and its dependencies), reported apart from processing.
const startupMs = Math.round(performance.now());

const HELP = `Usage: npm run taxi -- [options]

  --events N        trips to generate (default 10000)
  --seed S          generator seed (default 1)
  --out DIR         output folder (default ./out)
  --duplicates P    probability of an exact duplicate per trip (default 0)
  --bad P           probability of a broken record per trip (default 0)
  --parquet FILE    read the real TLC yellow-taxi parquet file instead of generating
  --state DIR       LevelDB state: checkpoint every 5 s, resume after a crash
  --brokers H:P     run through Kafka/Redpanda (taxi.raw_trips, 3 partitions)
  --metrics-port N  serve Prometheus metrics on http://127.0.0.1:N/metrics
  --no-batch-check  skip recomputing daily and hourly Gold in DuckDB
  --help            this text`;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'out' },
    duplicates: { type: 'string', default: '0' },
    bad: { type: 'string', default: '0' },
    parquet: { type: 'string' },
    state: { type: 'string' },
    brokers: { type: 'string' },
    'metrics-port': { type: 'string' },
    'no-batch-check': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(HELP);
  process.exit(0);
}

function numberOption(name: string, text: string, check: (n: number) => boolean, rule: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || !check(n)) {
    console.error(`--${name} ${text}: ${rule}\n\n${HELP}`);
    process.exit(2);
  }
  return n;
}

const options: TaxiJobOptions = {
  events: numberOption('events', args.events!, (n) => Number.isSafeInteger(n) && n > 0, 'must be a positive integer'),
  seed: numberOption('seed', args.seed!, Number.isInteger, 'must be an integer'),
  duplicates: numberOption('duplicates', args.duplicates!, (n) => n >= 0 && n <= 1, 'must be a probability from 0 to 1'),
  bad: numberOption('bad', args.bad!, (n) => n >= 0 && n <= 1, 'must be a probability from 0 to 1'),
  out: args.out!,
  state: args.state,
  parquet: args.parquet,
  metricsPort:
    args['metrics-port'] === undefined
      ? undefined
      : numberOption('metrics-port', args['metrics-port'], (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'must be a port number'),
};

const total = options.parquet ? undefined : Math.round(options.events * (1 + options.duplicates));
const bar = progressBar(total);
options.onProgress = (n) => bar.update(n);
if (options.metricsPort !== undefined) console.error(`metrics: http://127.0.0.1:${options.metricsPort}/metrics`);

let result: TaxiJobResult;
const cpuBefore = process.cpuUsage();
if (args.brokers) {
  const { runTaxiOnKafka } = await import('./kafka-mode.js');
  result = await runTaxiOnKafka(options, args.brokers.split(','));
} else {
  result = await runTaxiJob(options);
}
// CPU time beside wall time: on a shared machine other processes stretch the second, not the first.
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
// performance.now() counts from process start, so this wall time includes the start-up.
const wallMs = Math.round(performance.now());
bar.finish(result.counts.events);

let batchCheck: { equal: boolean; text: string } | undefined;
if (!args['no-batch-check']) {
  const { checkGoldAgainstBatch } = await import('./batch-check.js');
  batchCheck = await checkGoldAgainstBatch(result);
}

const peakMb = process.resourceUsage().maxRSS / 1024;
const { counts, rules, summary } = result;
const rows: Array<[string, string]> = [
  ['mode', args.brokers ? `Kafka (${args.brokers})` : 'embedded'],
  ['events read', fmt(counts.events)],
  ['Bronze (parsed)', fmt(counts.bronze)],
  ['dead letters', fmt(counts.deadLetters)],
  ['rejected by Silver predicates', fmt(counts.silverRejected)],
  ['dedup drops', fmt(counts.dedupDrops)],
  ['Silver rows', fmt(counts.silver)],
  ['after impossible-trip filter, minutes rounded (streamkit)', fmt(rules.metricsKept.rounded)],
  ['  … minutes truncated (old Spark)', fmt(rules.metricsKept.truncated)],
  ['  … minute boundaries (SQL datediff)', fmt(rules.metricsKept.boundary)],
  ['late records (beyond allowed lateness)', fmt(counts.late)],
  ...GOLD_STREAMS.map((name): [string, string] => [`Gold ${name}`, `${fmt(counts.gold[name])} rows`]),
  ['Gold vs DuckDB batch', batchCheck ? (batchCheck.equal ? 'Gold equals batch' : 'DIFFERENT (see below)') : 'skipped'],
  ['start-up', `${fmt(startupMs)} ms (Node, TypeScript loader, module loading)`],
  ['processing', `${fmt(summary.durationMs)} ms (the job's run, until every output file is closed; ${fmt(cpuMs)} ms CPU)`],
  ['wall time', `${fmt(wallMs)} ms (process start to the end of processing; the batch check is not included)`],
  ['throughput', `${fmt(Math.round((counts.events / Math.max(summary.durationMs, 1)) * 1000))} events/s of processing`],
  ['peak memory (RSS)', `${peakMb.toFixed(0)} MB`],
  ['checkpoints', fmt(summary.checkpoints)],
  ['output', options.out],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\nstreamkit taxi — ${options.parquet ?? `${fmt(options.events)} generated trips, seed ${options.seed}`}\n`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
if (batchCheck && !batchCheck.equal) console.log(`\n${batchCheck.text}`);

writeFileSync(
  join(options.out, 'summary.json'),
  JSON.stringify(
    {
      options: { ...options, onProgress: undefined },
      counts,
      rules,
      batchEqual: batchCheck?.equal ?? null,
      startupMs,
      pipelineMs: summary.durationMs,
      cpuMs,
      wallMs,
      eventsPerSecond: Math.round((counts.events / Math.max(summary.durationMs, 1)) * 1000),
      peakRssMb: Math.round(peakMb),
      checkpoints: summary.checkpoints,
    },
    null,
    2,
  ) + '\n',
);
if (batchCheck && !batchCheck.equal) process.exitCode = 1;

function fmt(n: number): string {
  return groupDigits(n);
}
