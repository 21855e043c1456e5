// The taxi job from the command line: `npm run taxi -- [--events N] [--seed S] [--out DIR] …`.
// Embedded by default (no broker, state in memory); `--brokers host:port` runs it through Kafka.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/core/duration.js';
import { describeError, StreamkitError } from '../../src/core/errors.js';
import { groupDigits, progressBar } from './progress.js';
import type { TaxiJobOptions, TaxiJobResult } from './pipeline.js';

const HELP = `Usage: npm run taxi -- [options]

  --events N              trips to generate (default 10000)
  --seed S                generator seed (default 1)
  --out DIR               output folder (default ./out)
  --duplicates P          probability of an exact duplicate per trip (default 0)
  --bad P                 probability of a broken record per trip (default 0)
  --parquet FILE          read the real TLC yellow-taxi parquet file instead of generating
  --state DIR             LevelDB state: checkpoints, and a run killed midway resumes when started again
  --checkpoint-every D    with --state, a checkpoint this often (default 5s)
  --brokers H:P           run through Kafka/Redpanda (taxi.raw_trips and taxi.settlements, 3 partitions each)
  --metrics-port N        serve Prometheus metrics on http://127.0.0.1:N/metrics
  --no-batch-check        skip recomputing Gold in DuckDB
  --help                  this text`;

/** A mistake on the command line: one line saying what is wrong, then the usage; exit status 2. */
function usageError(message: string): never {
  console.error(`npm run taxi: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        events: { type: 'string', default: '10000' },
        seed: { type: 'string', default: '1' },
        out: { type: 'string', default: 'out' },
        duplicates: { type: 'string', default: '0' },
        bad: { type: 'string', default: '0' },
        parquet: { type: 'string' },
        state: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        brokers: { type: 'string' },
        'metrics-port': { type: 'string' },
        'no-batch-check': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    // node:util's messages for an unknown flag, a missing value or a stray argument; the first sentence says it.
    const message = describeError(error).replace(/^TypeError[^:]*: /, '');
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(message);
    if (unknown) usageError(`unknown option ${unknown[1]}`);
    if (ambiguous) usageError(`${ambiguous[1]}: a value starting with '-' is written ${ambiguous[1]}=-…`);
    usageError(message.split(/\.(?:\s|$)/)[0]);
  }
}

const args = parseCommandLine();

if (args.help) {
  console.log(HELP);
  process.exit(0);
}

function numberOption(name: string, text: string, check: (n: number) => boolean, rule: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !check(n)) usageError(`--${name} ${text}: ${rule}`);
  return n;
}

function durationOption(name: string, text: string): string {
  try {
    parseDuration(text as never, `--${name}`);
  } catch (error) {
    usageError(describeError(error).replace(/^\w*Error: /, ''));
  }
  return text;
}

if (args['checkpoint-every'] !== undefined && args.state === undefined) usageError('--checkpoint-every needs --state DIR');
if (args.parquet !== undefined && !existsSync(args.parquet)) usageError(`--parquet ${args.parquet}: no such file`);

const options: TaxiJobOptions = {
  events: numberOption('events', args.events!, (n) => Number.isSafeInteger(n) && n > 0, 'must be a positive integer'),
  seed: numberOption('seed', args.seed!, Number.isInteger, 'must be an integer'),
  duplicates: numberOption('duplicates', args.duplicates!, (n) => n >= 0 && n <= 1, 'must be a probability from 0 to 1'),
  bad: numberOption('bad', args.bad!, (n) => n >= 0 && n <= 1, 'must be a probability from 0 to 1'),
  out: args.out!,
  state: args.state,
  checkpointEvery: args['checkpoint-every'] === undefined ? undefined : durationOption('checkpoint-every', args['checkpoint-every']),
  parquet: args.parquet,
  metricsPort:
    args['metrics-port'] === undefined
      ? undefined
      : numberOption('metrics-port', args['metrics-port'], (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'must be a port number'),
};

// The job's modules load once the command line is known good, so a mistake is reported at once.
const { rawRecords, rawSettlements, runTaxiJob } = await import('./pipeline.js');
const { GOLD_STREAMS } = await import('./gold.js');
// Everything is loaded by now: this is the start-up (Node, streamkit and its
// dependencies), reported apart from processing.
const startupMs = Math.round(performance.now());

const total = options.parquet ? undefined : Math.round(options.events * (1 + options.duplicates));
const bar = progressBar(total);
/** Raw records read so far, counted from the start of the input: a resumed run skips up to its checkpoint first. */
let read = 0;
options.onProgress = (n) => {
  read = Math.max(read, n);
  bar.update(n);
};
options.onEvent = (event) => {
  if (event.type === 'checkpoint.restored') bar.note(`resuming from checkpoint ${event.id} in ${options.state}`);
  else if (event.type === 'checkpoint.completed') bar.checkpoint(event.id);
};
if (options.metricsPort !== undefined) console.error(`metrics: http://127.0.0.1:${options.metricsPort}/metrics`);

let result: TaxiJobResult;
const cpuBefore = process.cpuUsage();
try {
  if (args.brokers) {
    const { runTaxiOnKafka } = await import('./kafka-mode.js');
    result = await runTaxiOnKafka(options, args.brokers.split(','));
  } else {
    result = await runTaxiJob(options);
  }
} catch (error) {
  bar.finish(read);
  const code = error instanceof StreamkitError ? ` (${error.code})` : '';
  console.error(`npm run taxi: the job failed${code}: ${describeError(error)}`);
  process.exit(1);
}
// CPU time beside wall time: on a shared machine other processes stretch the second, not the first.
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
// performance.now() counts from process start, so this wall time includes the start-up.
const wallMs = Math.round(performance.now());
bar.finish(Math.max(read, result.counts.events));

let batchCheck: { equal: boolean; text: string } | undefined;
if (!args['no-batch-check']) {
  // The complete Gold output (every run into this folder, after upsert by id) against batch Gold over the whole input.
  const { checkGoldOutputAgainstBatch } = await import('./batch-check.js');
  batchCheck = await checkGoldOutputAgainstBatch(options.out, rawRecords(options), rawSettlements(options));
}

const peakMb = process.resourceUsage().maxRSS / 1024;
const { counts, rules, summary } = result;
const rows: Array<[string, string]> = [
  ['mode', args.brokers ? `Kafka (${args.brokers})` : 'embedded'],
  ...resumedRow(),
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
  ...GOLD_STREAMS.map((name): [string, string] => [`Gold ${name}`, goldCount(name)]),
  ['Gold vs DuckDB batch', batchCheck ? (batchCheck.equal ? 'Gold equals batch' : 'DIFFERENT (see below)') : 'skipped'],
  ['start-up', `${fmt(startupMs)} ms (Node and module loading)`],
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
      restoredFrom: summary.restoredFrom ?? null,
    },
    null,
    2,
  ) + '\n',
);
if (batchCheck && !batchCheck.equal) process.exitCode = 1;

/** For a run that resumed from a checkpoint: which, and how much of the input earlier runs had processed. */
function resumedRow(): Array<[string, string]> {
  const id = result.summary.restoredFrom;
  if (id === undefined) return [];
  const before = args.brokers ? '' : `; ${fmt(read - result.counts.events)} events processed before it`;
  return [['resumed', `from checkpoint ${id}${before} (counts below are this run's)`]];
}

/** A Gold stream's row count; the settlement streams say how the trips settled, or that there was no feed. */
function goldCount(name: (typeof GOLD_STREAMS)[number]): string {
  if (name.startsWith('settlements') && options.parquet) return 'no settlement feed';
  const rows = `${fmt(result.counts.gold[name])} rows`;
  if (name !== 'settlements') return rows;
  const { settled, unsettled } = result.counts.settlements;
  return `${rows} (${fmt(settled)} settled, ${fmt(unsettled)} unsettled after 2 h)`;
}

function fmt(n: number): string {
  return groupDigits(n);
}
