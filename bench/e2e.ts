// The side-by-side end-to-end benchmark (BENCHMARKS.md): streamkit, Apache Flink and the plain-loop
// ceiling run the same jobs over the same generated taxi input, one process per run.
//   npm run bench:e2e -- [--sizes 10000,1000000] [--engines streamkit,streamkit-level,flink,ceiling]
//                        [--jobs silver,zone-5m,sessions,dedup] [--runs 5] [--warmup 1] [--runner built|tsx]
// Writes bench/results/<date>.json and bench/results/latest.json; `npm run bench:report` turns
// them into docs/benchmarks.md.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'tsup';
import { DATA_DIR, DEDUP_DUPLICATE_RATE, ensureTaxiInput } from './e2e/input-files.js';
import { machineInfo } from './e2e/machine.js';
import { compareOutputs, JOBS, outputFileName, type JobName } from './e2e/output-rows.js';
import { runBenchProcess, type ProcessOutcome } from './e2e/run-process.js';

const ROOT = join(import.meta.dirname, '..');
const FLINK_RUN = join(ROOT, 'bench', 'flink', 'run');
const FLINK_JAR = join(ROOT, 'bench', 'flink', 'target', 'streamkit-flink-bench-0.1.0.jar');
const BUILD_DIR = join(DATA_DIR, 'build');
const OUT_DIR = join(DATA_DIR, 'out');
const RUN_TIMEOUT_MS = 30 * 60_000;

/**
 * streamkit's watermark advances after each batch (SEMANTICS.md); Flink SQL here emits one per
 * record. Records that are late under one are on time under the other, so equal outputs need one
 * record per batch: `streamkit` runs that way. `streamkit-batch` runs with the default 1,024 per
 * batch, fewer records late and so different output, to show what batching is worth.
 */
const STREAMKIT_ENGINES: Record<string, { state: 'memory' | 'level'; batchSize: number }> = {
  streamkit: { state: 'memory', batchSize: 1 },
  'streamkit-batch': { state: 'memory', batchSize: 1024 },
  'streamkit-level': { state: 'level', batchSize: 1 },
};

/** One measured (job, engine, size) in the results file. */
export interface RunRecord {
  job: JobName | 'parse';
  engine: string;
  size: number;
  /** Median over the measured runs of input records / wall seconds (ceiling: / timed loop seconds). */
  eventsPerSecond: number;
  /** Median wall ms from process start to the last result. */
  wallMs: number;
  /** Median ms from process start to the first window result. */
  firstResultMs: number | null;
  /** Largest peak RSS over the measured runs, MB. */
  peakRssMb: number | null;
  /** Output equal to the reference engine's (null: nothing to compare with). */
  outputEqual: boolean | null;
  reference?: string;
  outputRows?: number;
  late?: number;
  /** Each measured run's events/s, in order. */
  samples: number[];
  detail?: Record<string, unknown>;
}

interface Config {
  sizes: number[];
  engines: string[];
  jobs: JobName[];
  runs: number;
  warmup: number;
  runner: 'built' | 'tsx';
  compareRunners: boolean;
  /** Merge into bench/results/latest.json (replacing equal job, engine and size) instead of starting afresh. */
  append: boolean;
  /** Run the bundle an earlier part built, so every part of a split benchmark measures the same code. */
  reuseBuild: boolean;
  /** Run nothing: compare the outputs left in bench/.data/out again and rewrite latest.json. */
  recheck: boolean;
}

function parseConfig(): Config {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,1000000' },
      engines: { type: 'string', default: 'streamkit,streamkit-batch,streamkit-level,flink,ceiling' },
      jobs: { type: 'string', default: JOBS.join(',') },
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      runner: { type: 'string', default: 'built' },
      'compare-runners': { type: 'boolean', default: false },
      append: { type: 'boolean', default: false },
      'reuse-build': { type: 'boolean', default: false },
      recheck: { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map((s) => Number(s.replace(/_/g, '')));
  for (const s of sizes)
    if (!Number.isSafeInteger(s) || s < 1) throw new RangeError(`--sizes must be positive integers, got ${values.sizes}`);
  const engines = values.engines.split(',').map((e) => e.trim());
  const known = [...Object.keys(STREAMKIT_ENGINES), 'flink', 'flink-p1', 'flink-p2', 'ceiling'];
  for (const e of engines) if (!known.includes(e)) throw new RangeError(`--engines: unknown engine ${e}; known: ${known.join(', ')}`);
  const jobs = values.jobs.split(',').map((j) => j.trim()) as JobName[];
  for (const j of jobs) if (!JOBS.includes(j)) throw new RangeError(`--jobs: unknown job ${j}; known: ${JOBS.join(', ')}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs must be an integer >= 1, got ${values.runs}`);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`--warmup must be an integer >= 0, got ${values.warmup}`);
  if (values.runner !== 'built' && values.runner !== 'tsx') throw new RangeError(`--runner must be built or tsx, got ${values.runner}`);
  return {
    sizes,
    engines,
    jobs,
    runs,
    warmup,
    runner: values.runner,
    compareRunners: values['compare-runners'],
    append: values.append,
    reuseBuild: values['reuse-build'],
    recheck: values.recheck,
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function flinkAvailable(): boolean {
  return existsSync(FLINK_JAR) && existsSync(join(ROOT, 'bench', 'flink', 'target', 'classpath.txt'));
}

/** The processes one (engine, job) needs: its command line and where its output lands. */
function invocation(
  engine: string,
  job: JobName,
  input: string,
  outDir: string,
  runner: Config['runner'],
): { command: string; args: string[] } | undefined {
  const sk = STREAMKIT_ENGINES[engine];
  if (sk) {
    return {
      command: process.execPath,
      args: [
        ...scriptCommand(runner, 'streamkit-job'),
        '--job',
        job,
        '--input',
        input,
        '--out',
        outDir,
        '--state',
        sk.state,
        '--batch-size',
        String(sk.batchSize),
      ],
    };
  }
  if (engine === 'flink-p1' || engine === 'flink-p2') {
    return { command: FLINK_RUN, args: ['--job', job, '--input', input, '--out', outDir, '--parallelism', engine.slice(-1)] };
  }
  if (engine === 'ceiling') {
    if (job !== 'zone-5m') return undefined;
    return { command: process.execPath, args: [...scriptCommand(runner, 'ceiling'), '--mode', 'loop', '--input', input, '--out', outDir] };
  }
  if (engine === 'json-parse') {
    if (job !== 'zone-5m') return undefined;
    return { command: process.execPath, args: [...scriptCommand(runner, 'ceiling'), '--mode', 'parse', '--input', input] };
  }
  return undefined;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The rate a run is credited with: input records per wall second, or per timed second for the ceilings. */
function rateOf(outcome: ProcessOutcome): number {
  const timed = num(outcome.result.timedMs);
  const records = num(outcome.result.records) ?? 0;
  const ms = timed ?? num(outcome.result.wallMs) ?? outcome.outerMs;
  return ms > 0 ? Math.round((records * 1000) / ms) : 0;
}

async function measure(
  engine: string,
  job: JobName,
  size: number,
  input: string,
  config: Config,
  warmup: number,
): Promise<RunRecord | undefined> {
  const outDir = join(OUT_DIR, `${engine}-${job}-${size}`);
  rmSync(outDir, { recursive: true, force: true });
  const inv = invocation(engine, job, input, outDir, config.runner);
  if (!inv) return undefined;
  const label = `${job.padEnd(8)} ${engine.padEnd(16)} ${size.toLocaleString('en-US').padStart(9)}`;
  for (let i = 0; i < warmup; i++) {
    const o = await runBenchProcess(inv.command, inv.args, RUN_TIMEOUT_MS);
    console.log(
      `${label}  warm-up   ${rateOf(o).toLocaleString('en-US').padStart(11)} ev/s  wall ${String(o.result.wallMs).padStart(7)} ms`,
    );
  }
  const outcomes: ProcessOutcome[] = [];
  for (let i = 0; i < config.runs; i++) {
    const o = await runBenchProcess(inv.command, inv.args, RUN_TIMEOUT_MS);
    outcomes.push(o);
    console.log(
      `${label}  run ${i + 1}/${config.runs}  ${rateOf(o).toLocaleString('en-US').padStart(11)} ev/s  wall ${String(o.result.wallMs).padStart(7)} ms  first ${String(o.result.firstResultMs ?? '-').padStart(7)} ms  rss ${o.peakRssMb ?? '?'} MB`,
    );
  }
  const samples = outcomes.map(rateOf);
  const firsts = outcomes.map((o) => num(o.result.firstResultMs)).filter((x): x is number => x !== null);
  const rss = outcomes.map((o) => o.peakRssMb).filter((x): x is number => x !== null);
  const last = outcomes[outcomes.length - 1].result;
  return {
    job: engine === 'json-parse' ? 'parse' : job,
    engine,
    size,
    eventsPerSecond: median(samples),
    wallMs: Math.round(median(outcomes.map((o) => num(o.result.wallMs) ?? o.outerMs))),
    firstResultMs: firsts.length > 0 ? Math.round(median(firsts)) : null,
    peakRssMb: rss.length > 0 ? Math.max(...rss) : null,
    outputEqual: null,
    outputRows: num(last.outputRows) ?? undefined,
    late: num(last.late) ?? undefined,
    samples,
    detail: last,
  };
}

/** Checks every engine's output of a (job, size) against the reference: Flink p1, else the ceiling, else streamkit. */
function checkOutputs(records: RunRecord[], job: JobName, size: number): void {
  const candidates = records.filter((r) => r.job === job && r.size === size);
  const order = ['flink-p1', 'ceiling', 'flink-p2', 'streamkit'];
  const reference = order.map((e) => candidates.find((r) => r.engine === e)).find((r) => r !== undefined);
  if (!reference) return;
  const file = (engine: string) => join(OUT_DIR, `${engine}-${job}-${size}`, outputFileName(job));
  for (const r of candidates) {
    if (r === reference) continue;
    const cmp = compareOutputs(job, file(r.engine), file(reference.engine));
    r.outputEqual = cmp.equal;
    r.reference = reference.engine;
    const verdict = cmp.equal ? 'equal' : `DIFFERENT (${cmp.differences} differences; ${cmp.example})`;
    console.log(
      `${job.padEnd(8)} ${r.engine.padEnd(16)} ${size.toLocaleString('en-US').padStart(9)}  output vs ${reference.engine}: ${verdict}`,
    );
  }
  // The reference itself is equal to whatever agrees with it; it is marked so when any other engine agrees.
  const others = candidates.filter((r) => r !== reference);
  reference.reference = reference.engine;
  reference.outputEqual = others.length === 0 ? null : others.some((r) => r.outputEqual === true);
}

function stampOf(date: string): string {
  return date.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
}

/** Re-runs the output comparison of every (job, size) in latest.json against the outputs on disk. */
function recheck(): void {
  const dir = join(ROOT, 'bench', 'results');
  const results = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { date: string; runs: RunRecord[] };
  const groups = new Set(results.runs.map((r) => `${r.job}\u0000${r.size}`));
  for (const r of results.runs) {
    r.outputEqual = null;
    delete r.reference;
  }
  for (const g of groups) {
    const [job, size] = g.split('\u0000');
    if (job === 'parse') continue;
    checkOutputs(results.runs, job as JobName, Number(size));
  }
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, `${stampOf(results.date)}.json`), JSON.stringify(results, null, 2) + '\n');
  console.log(`rechecked: bench/results/latest.json and bench/results/${stampOf(results.date)}.json`);
}

async function main(): Promise<void> {
  const config = parseConfig();
  if (config.recheck) {
    recheck();
    return;
  }
  const machine = machineInfo();
  console.log(
    `machine: ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.cpuModel}, Node ${machine.node}, ${machine.java ?? 'no Java'}; load ${machine.loadAverage}`,
  );
  let engines = config.engines.flatMap((e) =>
    e === 'flink' ? ['flink-p1', 'flink-p2'] : e === 'ceiling' ? ['ceiling', 'json-parse'] : [e],
  );
  if (engines.some((e) => e.startsWith('flink')) && !flinkAvailable()) {
    console.log(
      'Flink is not installed (bench/flink/target is missing): skipping flink-p1 and flink-p2. Install it with `npm run bench:flink:install`.',
    );
    engines = engines.filter((e) => !e.startsWith('flink'));
  }
  mkdirSync(OUT_DIR, { recursive: true });
  if (config.runner === 'built' && config.reuseBuild && existsSync(join(BUILD_DIR, 'streamkit-job.mjs'))) {
    console.log('reusing bench/.data/build/{streamkit-job,ceiling}.mjs');
  } else if (config.runner === 'built') {
    const t0 = performance.now();
    await buildRunners();
    console.log(`built bench/.data/build/{streamkit-job,ceiling}.mjs in ${Math.round(performance.now() - t0)} ms`);
  }
  const started = new Date();
  let runnerComparison: Record<string, { wallMs: number; eventsPerSecond: number; firstResultMs: number | null }> | undefined;
  if (config.compareRunners) {
    // The same streamkit run started through tsx (TypeScript compiled at load) and as the
    // prebuilt bundle: what the choice of runner costs at start.
    if (config.runner !== 'built') await buildRunners();
    const size = Math.min(...config.sizes);
    const input = await ensureTaxiInput(size, 0);
    runnerComparison = {};
    for (const runner of ['tsx', 'built'] as const) {
      const r = await measure('streamkit', 'zone-5m', size, input, { ...config, runner }, config.warmup);
      if (r) runnerComparison[runner] = { wallMs: r.wallMs, eventsPerSecond: r.eventsPerSecond, firstResultMs: r.firstResultMs };
    }
  }
  const records: RunRecord[] = [];
  // One warm-up per engine, before its first measured run (the file cache, the JVM's class data,
  // the bundle's first load); later sizes and jobs read warm caches already.
  const warmed = new Set<string>();
  for (const size of config.sizes) {
    for (const job of config.jobs) {
      const input = await ensureTaxiInput(size, job === 'dedup' ? DEDUP_DUPLICATE_RATE : 0);
      for (const engine of engines) {
        const warmup = warmed.has(engine) ? 0 : config.warmup;
        const r = await measure(engine, job, size, input, config, warmup);
        if (!r) continue;
        warmed.add(engine);
        records.push(r);
      }
      if (job !== 'silver' || records.some((r) => r.job === 'silver')) checkOutputs(records, job, size);
    }
  }
  const dir = join(ROOT, 'bench', 'results');
  let result = {
    date: started.toISOString(),
    finished: new Date().toISOString(),
    machine,
    config: { ...config, engines, dedupDuplicateRate: DEDUP_DUPLICATE_RATE },
    runnerComparison,
    runs: records,
  };
  if (config.append && existsSync(join(dir, 'latest.json'))) {
    // A long benchmark split in parts: the earlier part's machine line and settings stay, this
    // part's runs are added, and the union of sizes, jobs and engines is recorded.
    const earlier = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as typeof result;
    const same = (a: RunRecord, b: RunRecord) => a.job === b.job && a.engine === b.engine && a.size === b.size;
    const union = <T>(a: T[], b: T[]) => [...new Set([...a, ...b])];
    result = {
      ...earlier,
      finished: result.finished,
      config: {
        ...earlier.config,
        sizes: union(earlier.config.sizes, config.sizes).sort((a, b) => a - b),
        jobs: union(earlier.config.jobs, config.jobs),
        engines: union(earlier.config.engines, engines),
        parts: [
          ...((earlier.config as { parts?: unknown[] }).parts ?? [{ ...earlier.config, date: earlier.date }]),
          { ...config, engines, date: started.toISOString(), loadAverage: machine.loadAverage },
        ],
      } as typeof result.config,
      runnerComparison: earlier.runnerComparison ?? runnerComparison,
      runs: [...earlier.runs.filter((r) => !records.some((n) => same(n, r))), ...records],
    };
  }
  mkdirSync(dir, { recursive: true });
  const stamp = stampOf(started.toISOString());
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`results: bench/results/${stamp}.json and bench/results/latest.json`);
}

await main();
