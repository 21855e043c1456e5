// The side-by-side end-to-end benchmark: streamkit and Apache Flink (and, for reference, a plain
// loop and a bare JSON.parse loop) run the same jobs over the same generated taxi input, one
// process per run, runs of the engines interleaved (A run 1, B run 1, A run 2, …).
//   npm run bench:e2e -- [--sizes 1000000,5000000,10000000] [--jobs zone-5m,silver,sessions,dedup,zone-5m-late]
//                        [--engines streamkit,flink-p1,flink-p2,…] [--runs 3] [--latency-rate 20000] [--append]
// Writes bench/results/<date>.json and bench/results/latest.json after every round of a job and
// size, so an interrupted run keeps what it measured; `npm run bench:report` turns them into docs/benchmarks.md.
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'tsup';
import { ENGINES, referenceEngine, type EngineSpec } from './e2e/engines.js';
import { DATA_DIR, ensureTaxiInput } from './e2e/input-files.js';
import { isWindowed, JOB_SPECS, JOBS, outputFileName, type JobName } from './e2e/jobs.js';
import { machineInfo, type MachineInfo } from './e2e/machine.js';
import { compareOutputs, outputTrips, type OutputComparison } from './e2e/output-rows.js';
import { runBenchProcess, type ProcessOutcome } from './e2e/run-process.js';
import { median, steadyEventsPerSecond } from './e2e/stats.js';

const ROOT = join(import.meta.dirname, '..');
const FLINK_RUN = join(ROOT, 'bench', 'flink', 'run');
const FLINK_JAR = join(ROOT, 'bench', 'flink', 'target', 'streamkit-flink-bench-0.1.0.jar');
const BUILD_DIR = join(DATA_DIR, 'build');
const OUT_DIR = join(DATA_DIR, 'out');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const RUN_TIMEOUT_MS = 30 * 60_000;
/** Input of the warm-up runs: small, so they cost seconds. */
const WARM_UP_SIZE = 100_000;

const DEFAULT_ENGINES = ['streamkit', 'flink-p1', 'flink-p2', 'streamkit-strict', 'flink-p1-strict', 'ceiling', 'json-parse'];

/** One measured run of one engine. */
export interface RunSample {
  /** Round of the interleaving, from 1. */
  round: number;
  /** Process start (JVM start for Flink) to the last result, ms. */
  wallMs: number;
  /** Process start to the first result, ms: start-up, plus filling the first window. */
  startupMs: number | null;
  recordsAtFirstResult: number | null;
  /** Records read after the first result ÷ seconds from it to the last result. */
  steadyEventsPerSecond: number | null;
  /** Input records ÷ wall seconds (ceiling and json-parse: ÷ their timed loop's seconds). */
  eventsPerSecond: number;
  /** CPU seconds of the process, user plus system, start-up included. */
  cpuSeconds: number | null;
  peakRssMb: number | null;
  lateRecords: number | null;
  outputRows: number | null;
  /** 1-minute load average when the run started and ended (the machine is shared). */
  loadAverage: { start: number; end: number };
  /** Cores the rest of the machine kept busy during the run. */
  otherCores: number | null;
  /** Output compared with the reference engine's output of the same round. */
  comparison?: OutputComparison & { reference: string };
}

/** One (job, engine, size) of the results file: medians over its runs, and the runs themselves. */
export interface RunRecord {
  job: JobName | 'parse' | 'latency';
  engine: string;
  size: number;
  /** Median of input records ÷ wall seconds (ceiling and json-parse: ÷ timed loop seconds). Start-up included. */
  eventsPerSecond: number;
  /** Median wall ms, process start to the last result. */
  wallMs: number;
  /** Median ms from process start to the first result (same as startupMs). */
  firstResultMs: number | null;
  /** Largest peak RSS over the runs, MB. */
  peakRssMb: number | null;
  /** Output equal to the reference engine's in every run (null: nothing to compare with). */
  outputEqual: boolean | null;
  reference?: string;
  outputRows?: number;
  late?: number;
  /** Each run's events/s (as eventsPerSecond), in order. */
  samples: number[];
  /** The last run's result line. */
  detail?: Record<string, unknown>;
  /** Median steady-state events/s: records after the first result ÷ seconds after it. */
  steadyEventsPerSecond: number | null;
  /** Median process start → first result, ms. */
  startupMs: number | null;
  /** Median CPU seconds (user + system) of a run. */
  cpuSeconds: number | null;
  /** Records the engine dropped as late (its own count), in the last run. */
  lateRecords: number | null;
  /** Threads or task slots that process records. */
  parallelism: number;
  /** Window-result latency after the watermark passes the window's end, p50 and p99, ms (paced runs). */
  latencyP50Ms?: number | null;
  latencyP99Ms?: number | null;
  /** The runs, in the order they ran. */
  runs?: RunSample[];
}

/** The results file. */
export interface Results {
  date: string;
  finished: string;
  machine: MachineInfo & { flink?: string | null };
  config: {
    sizes: number[];
    engines: string[];
    jobs: string[];
    runs: number;
    runner: string;
    latency?: { rate: number; records: number } | null;
    parts?: Array<{ date: string; sizes: number[]; jobs: string[]; engines: string[]; runs: number }>;
  };
  runs: RunRecord[];
}

interface Config {
  sizes: number[];
  engines: string[];
  jobs: JobName[];
  runs: number;
  warmup: boolean;
  runner: 'built' | 'tsx';
  append: boolean;
  reuseBuild: boolean;
  latencyRate: number;
  latencyRecords: number;
}

function parseConfig(): Config {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000000,5000000,10000000' },
      engines: { type: 'string', default: DEFAULT_ENGINES.join(',') },
      jobs: { type: 'string', default: JOBS.join(',') },
      runs: { type: 'string', default: '3' },
      'no-warmup': { type: 'boolean', default: false },
      runner: { type: 'string', default: 'built' },
      append: { type: 'boolean', default: false },
      'reuse-build': { type: 'boolean', default: false },
      'latency-rate': { type: 'string', default: '20000' },
      'latency-records': { type: 'string', default: '300000' },
    },
  });
  const integers = (name: string, text: string, min: number) =>
    text.split(',').map((s) => {
      const n = Number(s.replace(/_/g, ''));
      if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name} must be integers >= ${min}, got ${text}`);
      return n;
    });
  const engines = values.engines.split(',').map((e) => e.trim());
  for (const e of engines) {
    if (!ENGINES[e]) throw new RangeError(`--engines: unknown engine ${e}; known: ${Object.keys(ENGINES).join(', ')}`);
  }
  const jobs = values.jobs.split(',').map((j) => j.trim()) as JobName[];
  for (const j of jobs) if (!JOBS.includes(j)) throw new RangeError(`--jobs: unknown job ${j}; known: ${JOBS.join(', ')}`);
  if (values.runner !== 'built' && values.runner !== 'tsx') throw new RangeError(`--runner must be built or tsx, got ${values.runner}`);
  return {
    sizes: integers('sizes', values.sizes, 1),
    engines,
    jobs,
    runs: integers('runs', values.runs, 1)[0],
    warmup: !values['no-warmup'],
    runner: values.runner,
    append: values.append,
    reuseBuild: values['reuse-build'],
    latencyRate: integers('latency-rate', values['latency-rate'], 0)[0],
    latencyRecords: integers('latency-records', values['latency-records'], 1)[0],
  };
}

/**
 * Bundles the streamkit job and the ceiling into plain ESM JavaScript (dependencies stay external),
 * so a run does not pay tsx's on-the-fly TypeScript compilation at start.
 */
async function buildRunners(): Promise<void> {
  await build({
    entry: { 'streamkit-job': join(ROOT, 'bench/e2e/streamkit-job.ts'), ceiling: join(ROOT, 'bench/ceiling.ts') },
    outDir: BUILD_DIR,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: true,
    silent: true,
    config: false,
    outExtension: () => ({ js: '.mjs' }),
  });
}

function scriptCommand(runner: Config['runner'], name: 'streamkit-job' | 'ceiling'): string[] {
  if (runner === 'built') return [join(BUILD_DIR, `${name}.mjs`)];
  const source = name === 'ceiling' ? join(ROOT, 'bench/ceiling.ts') : join(ROOT, 'bench/e2e/streamkit-job.ts');
  return ['--import', 'tsx', source];
}

function flinkAvailable(): boolean {
  return existsSync(FLINK_JAR) && existsSync(join(ROOT, 'bench', 'flink', 'target', 'classpath.txt'));
}

function flinkVersion(): string | null {
  try {
    const pom = readFileSync(join(ROOT, 'bench', 'flink', 'pom.xml'), 'utf8');
    return /<flink\.version>([^<]+)</.exec(pom)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Whether `engine` runs `job`. */
function runsJob(engine: string, job: JobName): boolean {
  const jobs = ENGINES[engine].jobs;
  return jobs === undefined || jobs.includes(job);
}

/** The command line of one run of `engine` on `job`. */
function invocation(
  engine: string,
  job: JobName,
  input: string,
  outDir: string,
  runner: Config['runner'],
): { command: string; args: string[] } {
  const spec: EngineSpec = ENGINES[engine];
  const delay = String(JOB_SPECS[job].watermarkDelayMs);
  switch (spec.kind) {
    case 'streamkit':
      return {
        command: process.execPath,
        args: [
          ...scriptCommand(runner, 'streamkit-job'),
          ...['--job', job, '--input', input, '--out', outDir, '--watermark-delay-ms', delay, '--state', spec.state ?? 'memory'],
          ...(spec.batchSize === undefined ? [] : ['--batch-size', String(spec.batchSize)]),
        ],
      };
    case 'flink':
      return {
        command: FLINK_RUN,
        args: [
          ...['--job', JOB_SPECS[job].query, '--input', input, '--out', outDir, '--parallelism', String(spec.parallelism)],
          ...['--watermark-delay-ms', delay],
          ...(spec.watermarkIntervalMs === undefined ? [] : ['--watermark-interval-ms', String(spec.watermarkIntervalMs)]),
        ],
      };
    case 'ceiling':
      return {
        command: process.execPath,
        args: [...scriptCommand(runner, 'ceiling'), '--mode', 'loop', '--input', input, '--out', outDir, '--watermark-delay-ms', delay],
      };
    case 'json-parse':
      return { command: process.execPath, args: [...scriptCommand(runner, 'ceiling'), '--mode', 'parse', '--input', input] };
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** One run's figures from its process outcome. */
function sampleOf(round: number, o: ProcessOutcome): RunSample {
  const r = o.result;
  const records = num(r.records) ?? 0;
  const wallMs = num(r.wallMs) ?? o.outerMs;
  const timedMs = num(r.timedMs);
  const rateMs = timedMs ?? wallMs;
  const steady = steadyEventsPerSecond({
    records,
    wallMs,
    firstResultMs: num(r.firstResultMs),
    recordsAtFirstResult: num(r.recordsAtFirstResult),
  });
  return {
    round,
    wallMs,
    startupMs: num(r.firstResultMs),
    recordsAtFirstResult: num(r.recordsAtFirstResult),
    steadyEventsPerSecond: steady === null ? null : Math.round(steady),
    eventsPerSecond: rateMs > 0 ? Math.round((records * 1000) / rateMs) : 0,
    cpuSeconds: o.cpuSeconds,
    peakRssMb: o.peakRssMb,
    lateRecords: num(r.late),
    outputRows: num(r.outputRows),
    loadAverage: o.loadAverage,
    otherCores: o.otherCores,
  };
}

const medianOf = (xs: Array<number | null>): number | null => {
  const present = xs.filter((x): x is number => x !== null);
  return present.length === 0 ? null : median(present);
};

/** The record of one (job, engine, size) from its runs. */
function recordOf(job: JobName | 'parse', engine: string, size: number, samples: RunSample[], last: Record<string, unknown>): RunRecord {
  const rss = samples.map((s) => s.peakRssMb).filter((x): x is number => x !== null);
  const compared = samples.filter((s) => s.comparison !== undefined);
  const steady = medianOf(samples.map((s) => s.steadyEventsPerSecond));
  const startup = medianOf(samples.map((s) => s.startupMs));
  const cpu = medianOf(samples.map((s) => s.cpuSeconds));
  return {
    job,
    engine,
    size,
    eventsPerSecond: median(samples.map((s) => s.eventsPerSecond)),
    wallMs: Math.round(median(samples.map((s) => s.wallMs))),
    firstResultMs: startup === null ? null : Math.round(startup),
    peakRssMb: rss.length > 0 ? Math.max(...rss) : null,
    outputEqual: compared.length === 0 ? null : compared.every((s) => s.comparison!.equal),
    reference: compared[0]?.comparison?.reference,
    outputRows: samples[samples.length - 1].outputRows ?? undefined,
    late: samples[samples.length - 1].lateRecords ?? undefined,
    samples: samples.map((s) => s.eventsPerSecond),
    detail: last,
    steadyEventsPerSecond: steady === null ? null : Math.round(steady),
    startupMs: startup === null ? null : Math.round(startup),
    cpuSeconds: cpu === null ? null : Math.round(cpu * 100) / 100,
    lateRecords: samples[samples.length - 1].lateRecords,
    parallelism: ENGINES[engine]?.parallelism ?? 1,
    runs: samples,
  };
}

const fmt = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

/** Reads a file once so every engine's first run finds it in the page cache. */
async function preread(file: string): Promise<void> {
  for await (const _chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    // only the read matters
  }
}

function writeResults(results: Results): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const text = JSON.stringify(results, null, 2) + '\n';
  const stamp = results.date.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  for (const name of [`${stamp}.json`, 'latest.json']) {
    writeFileSync(join(RESULTS_DIR, `.${name}.tmp`), text);
    renameSync(join(RESULTS_DIR, `.${name}.tmp`), join(RESULTS_DIR, name));
  }
}

/**
 * Fills in the late records where the engine's own count needs the output: Flink SQL drops late
 * partial aggregates, not records (see bench/flink/README.md), so its late records are the records
 * that reached its window aggregation minus the trips in its output rows. For streamkit it checks
 * that every record is accounted for: read = filtered + dead letters + duplicates + late + trips in
 * the output (zone-5m and dedup, where each record is in one window).
 */
function lateAndAccounting(engine: string, job: JobName, s: RunSample, line: Record<string, unknown>, file: string): void {
  const query = JOB_SPECS[job].query;
  if (query === 'silver' || !existsSync(file)) return;
  const kind = ENGINES[engine].kind;
  if (kind === 'flink') {
    const windowInput = num(line.windowInputRecords);
    s.lateRecords = windowInput === null ? null : windowInput - outputTrips(file);
  } else if (kind === 'streamkit' && query !== 'sessions') {
    const n = (k: string) => num(line[k]) ?? 0;
    const accounted = n('filtered') + n('deadLetters') + n('duplicates') + n('late') + outputTrips(file);
    if (accounted !== n('records')) {
      console.log(`        WARNING: ${engine} ${job} read ${n('records')} records but accounts for ${accounted}`);
    }
  }
}

/** A paced streamkit run: window-result latency at a fixed input rate. */
async function measureLatency(config: Config, input: string, round: number): Promise<{ sample: RunSample; line: Record<string, unknown> }> {
  const out = join(OUT_DIR, 'streamkit-paced-zone-5m');
  rmSync(out, { recursive: true, force: true });
  const o = await runBenchProcess(
    process.execPath,
    [
      ...scriptCommand(config.runner, 'streamkit-job'),
      ...['--job', 'zone-5m', '--input', input, '--out', out, '--watermark-delay-ms', String(JOB_SPECS['zone-5m'].watermarkDelayMs)],
      ...['--pace', String(config.latencyRate), '--pace-records', String(config.latencyRecords)],
    ],
    RUN_TIMEOUT_MS,
  );
  const sample = sampleOf(round, o);
  sample.eventsPerSecond = num(o.result.achievedEventsPerSecond) ?? 0;
  return { sample, line: o.result };
}

async function main(): Promise<void> {
  const config = parseConfig();
  const machine = { ...machineInfo(), flink: flinkVersion() };
  const started = new Date();
  console.log(
    `machine: ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.cpuModel}, Node ${machine.node}, ${machine.java ?? 'no Java'}; load average ${machine.loadAverage}`,
  );
  let engines = config.engines;
  if (engines.some((e) => ENGINES[e].kind === 'flink') && !flinkAvailable()) {
    console.log(
      'Flink is not installed (bench/flink/target is missing): skipping the Flink engines. Install it with `npm run bench:flink:install`.',
    );
    engines = engines.filter((e) => ENGINES[e].kind !== 'flink');
  }
  mkdirSync(OUT_DIR, { recursive: true });
  if (config.runner === 'built' && config.reuseBuild && existsSync(join(BUILD_DIR, 'streamkit-job.mjs'))) {
    console.log('reusing bench/.data/build/{streamkit-job,ceiling}.mjs');
  } else if (config.runner === 'built') {
    const t0 = performance.now();
    await buildRunners();
    console.log(`built bench/.data/build/{streamkit-job,ceiling}.mjs in ${Math.round(performance.now() - t0)} ms`);
  }

  const earlier: Results | undefined =
    config.append && existsSync(join(RESULTS_DIR, 'latest.json'))
      ? (JSON.parse(readFileSync(join(RESULTS_DIR, 'latest.json'), 'utf8')) as Results)
      : undefined;
  const records: RunRecord[] = [];
  const part = { date: started.toISOString(), sizes: config.sizes, jobs: config.jobs, engines, runs: config.runs };
  const save = () => {
    const same = (a: RunRecord, b: RunRecord) => a.job === b.job && a.engine === b.engine && a.size === b.size;
    const union = <T>(a: T[], b: T[]) => [...new Set([...a, ...b])];
    const results: Results = earlier
      ? {
          ...earlier,
          finished: new Date().toISOString(),
          config: {
            ...earlier.config,
            sizes: union(earlier.config.sizes, config.sizes).sort((a, b) => a - b),
            jobs: union(earlier.config.jobs, config.jobs),
            engines: union(earlier.config.engines, engines),
            latency: config.latencyRate > 0 ? { rate: config.latencyRate, records: config.latencyRecords } : earlier.config.latency,
            parts: [...(earlier.config.parts ?? []), part],
          },
          runs: [...earlier.runs.filter((r) => !records.some((n) => same(n, r))), ...records],
        }
      : {
          date: started.toISOString(),
          finished: new Date().toISOString(),
          machine,
          config: {
            sizes: config.sizes,
            engines,
            jobs: config.jobs,
            runs: config.runs,
            runner: config.runner,
            latency: config.latencyRate > 0 ? { rate: config.latencyRate, records: config.latencyRecords } : null,
            parts: [part],
          },
          runs: records,
        };
    writeResults(results);
  };

  // Planned runs, for the progress counter.
  const perSize = config.jobs.reduce((n, job) => n + engines.filter((e) => runsJob(e, job)).length, 0);
  const total = perSize * config.sizes.length * config.runs + (config.latencyRate > 0 ? config.runs : 0);
  let done = 0;
  const t0 = performance.now();
  const elapsed = () => {
    const s = Math.round((performance.now() - t0) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  };

  if (config.warmup) {
    // One small run per engine first: the jars, the bundle and the JVM's class data reach the page
    // cache, so no engine's first measured run pays for loading them from disk.
    const input = await ensureTaxiInput(WARM_UP_SIZE, 0);
    for (const engine of engines) {
      const inv = invocation(engine, 'zone-5m', input, join(OUT_DIR, 'warm-up'), config.runner);
      const o = await runBenchProcess(inv.command, inv.args, RUN_TIMEOUT_MS);
      console.log(`warm-up ${engine.padEnd(16)} ${sizeLabel(WARM_UP_SIZE)} zone-5m: wall ${fmt(num(o.result.wallMs) ?? o.outerMs)} ms`);
    }
    rmSync(join(OUT_DIR, 'warm-up'), { recursive: true, force: true });
  }

  for (const size of config.sizes) {
    for (const job of config.jobs) {
      const jobEngines = engines.filter((e) => runsJob(e, job));
      if (jobEngines.length === 0) continue;
      const input = await ensureTaxiInput(size, JOB_SPECS[job].duplicates);
      await preread(input);
      const samples = new Map<string, RunSample[]>(jobEngines.map((e) => [e, []]));
      const lastLine = new Map<string, Record<string, unknown>>();
      const dirOf = (engine: string) => join(OUT_DIR, `${engine}-${job}-${size}`);
      for (let round = 1; round <= config.runs; round++) {
        for (const engine of jobEngines) {
          rmSync(dirOf(engine), { recursive: true, force: true });
          const inv = invocation(engine, job, input, dirOf(engine), config.runner);
          const o = await runBenchProcess(inv.command, inv.args, RUN_TIMEOUT_MS);
          const s = sampleOf(round, o);
          lateAndAccounting(engine, job, s, o.result, join(dirOf(engine), outputFileName(job)));
          samples.get(engine)!.push(s);
          lastLine.set(engine, o.result);
          done++;
          console.log(
            `[${String(done).padStart(3)}/${total}] ${elapsed()}  ${sizeLabel(size).padStart(3)} ${job.padEnd(12)} ${engine.padEnd(16)} run ${round}/${config.runs}` +
              `  steady ${fmt(s.steadyEventsPerSecond).padStart(9)} ev/s  start-up ${fmt(s.startupMs === null ? null : s.startupMs / 1000, 1).padStart(5)} s` +
              `  wall ${fmt(s.wallMs / 1000, 1).padStart(6)} s  cpu ${fmt(s.cpuSeconds, 1).padStart(6)} s  rss ${fmt(s.peakRssMb).padStart(5)} MB` +
              `  late ${fmt(s.lateRecords).padStart(9)}  load ${s.loadAverage.start}→${s.loadAverage.end}  others ${fmt(s.otherCores, 2)} cores`,
          );
        }
        // Compare this round's outputs: each engine's with its reference's.
        for (const engine of jobEngines) {
          const reference = referenceEngine(engine, jobEngines);
          if (!reference || ENGINES[engine].kind === 'json-parse' || ENGINES[reference].kind === 'json-parse') continue;
          const file = join(dirOf(engine), outputFileName(job));
          const refFile = join(dirOf(reference), outputFileName(job));
          if (!existsSync(file) || !existsSync(refFile)) continue;
          const cmp = compareOutputs(job, file, refFile);
          const s = samples.get(engine)!;
          s[s.length - 1].comparison = { ...cmp, reference };
          const verdict = cmp.equal
            ? 'equal'
            : `${fmt(cmp.differences)} rows differ (only here ${fmt(cmp.onlyHere)}, only in ${reference} ${fmt(cmp.onlyInReference)}, ` +
              `trips differ ${fmt(cmp.tripsDiffer)}, values differ ${fmt(cmp.valuesDiffer)}; trips ${fmt(cmp.trips)} vs ${fmt(cmp.referenceTrips)}); e.g. ${cmp.example}`;
          if (isWindowed(job) || !cmp.equal || round === 1) {
            console.log(`        ${sizeLabel(size)} ${job} run ${round}: ${engine} vs ${reference}: ${verdict}`);
          }
        }
        // Saved after every round, so a run stopped part-way keeps the rounds it finished.
        for (const engine of jobEngines) {
          const kind = ENGINES[engine].kind;
          const record = recordOf(kind === 'json-parse' ? 'parse' : job, engine, size, samples.get(engine)!, lastLine.get(engine)!);
          const at = records.findIndex((r) => r.job === record.job && r.engine === engine && r.size === size);
          if (at >= 0) records[at] = record;
          else records.push(record);
        }
        save();
      }
    }
  }

  if (config.latencyRate > 0) {
    const input = await ensureTaxiInput(Math.max(config.latencyRecords, 1_000_000), 0);
    const samples: RunSample[] = [];
    let line: Record<string, unknown> = {};
    const p99s: number[] = [];
    const p50s: number[] = [];
    for (let round = 1; round <= config.runs; round++) {
      const m = await measureLatency(config, input, round);
      samples.push(m.sample);
      line = m.line;
      const latency = m.line.latency as { p50Ms: number | null; p99Ms: number | null; samples: number };
      const source = m.line.source as { maxBehindMs: number };
      if (latency.p99Ms !== null) p99s.push(latency.p99Ms);
      if (latency.p50Ms !== null) p50s.push(latency.p50Ms);
      done++;
      console.log(
        `[${String(done).padStart(3)}/${total}] ${elapsed()}  latency zone-5m streamkit at ${fmt(config.latencyRate)} events/s run ${round}/${config.runs}:` +
          ` p50 ${fmt(latency.p50Ms, 1)} ms, p99 ${fmt(latency.p99Ms, 1)} ms over ${fmt(latency.samples)} window results;` +
          ` source at most ${fmt(source.maxBehindMs, 1)} ms behind schedule; load ${m.sample.loadAverage.start}→${m.sample.loadAverage.end}`,
      );
    }
    const record = recordOf('zone-5m', 'streamkit', config.latencyRecords, samples, line);
    record.job = 'latency';
    record.latencyP50Ms = p50s.length > 0 ? median(p50s) : null;
    record.latencyP99Ms = p99s.length > 0 ? median(p99s) : null;
    records.push(record);
    save();
  }

  printSummary(records);
  console.log(`results: bench/results/latest.json (${elapsed()}); \`npm run bench:report\` writes docs/benchmarks.md`);
}

/** The closing table: steady state, start-up, CPU, memory, late records and output equality per job, size and engine. */
function printSummary(records: RunRecord[]): void {
  console.log('');
  console.log('summary (medians; steady = events after the first result ÷ seconds after it):');
  const header = ['job', 'size', 'engine', 'steady ev/s', '÷ flink-p1', 'start-up s', 'CPU-s/M ev', 'peak RSS MB', 'late', 'output'];
  const rows = records
    .filter((r) => r.job !== 'latency')
    .map((r) => {
      const flink = records.find((x) => x.job === r.job && x.size === r.size && x.engine === 'flink-p1');
      const ratio =
        flink?.steadyEventsPerSecond && r.steadyEventsPerSecond
          ? (r.steadyEventsPerSecond / flink.steadyEventsPerSecond).toFixed(2) + '×'
          : '—';
      const cmp = r.runs?.[r.runs.length - 1]?.comparison;
      const output =
        r.outputEqual === null
          ? '—'
          : r.outputEqual
            ? `equal to ${r.reference}`
            : `${fmt(cmp?.differences)} rows differ from ${r.reference}`;
      return [
        r.job,
        sizeLabel(r.size),
        r.engine,
        fmt(r.steadyEventsPerSecond),
        ratio,
        fmt(r.startupMs === null ? null : r.startupMs / 1000, 1),
        fmt(r.cpuSeconds === null ? null : r.cpuSeconds / (r.size / 1e6), 1),
        fmt(r.peakRssMb),
        fmt(r.lateRecords),
        output,
      ];
    });
  for (const r of records.filter((x) => x.job === 'latency')) {
    console.log(
      `latency: zone-5m at a paced input, p50 ${fmt(r.latencyP50Ms, 1)} ms, p99 ${fmt(r.latencyP99Ms, 1)} ms (median of ${r.runs?.length} runs)`,
    );
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 || i === 9 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

await main();
