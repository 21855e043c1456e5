// Keyed state larger than memory: streamkit with resident state (levelState(dir, { memory })) and
// with heap state, and Flink with RocksDB, over inputs with millions of distinct keys. Each run is
// its own process (its peak RSS and heap limit its own).
//   npm run bench:state -- [--jobs dedup-ids,sessions-keys,restart,checkpoint] [--sizes 2M | dedup-ids=2M+10M,…]
//                          [--engines streamkit-resident,streamkit-resident-tuned,streamkit-heap,streamkit-heap-capped,
//                                     flink-rocksdb,flink-hashmap]
//                          [--memory 64MB] [--heap-mb 128] [--flink-xmx 512m] [--timeout-min 180]
// Progress goes to stderr; the summary and the markdown section to stdout. Results are appended to
// bench/results/state-scale.json and the section written to bench/results/state-scale.md.
import { cpSync, createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { build } from 'tsup';
import { DATA_DIR } from './e2e/input-files.js';
import { machineInfo } from './e2e/machine.js';
import { BenchProcessFailed, runBenchProcess, type ProcessOutcome } from './e2e/run-process.js';
import { steadyEventsPerSecond } from './e2e/stats.js';
import { OutputDigest, sessionRowText } from './state-scale/digest.js';
import { dedupIdsSpec, ensureDedupIds, ensureSessionKeys, ensureStateIds, expectedSessions } from './state-scale/inputs.js';
import { stateScaleMarkdown } from './state-scale/markdown.js';
import { DEFAULT_ENGINES, parseSizes, runsJob, sizeLabel, STATE_ENGINES, STATE_JOBS, type StateJob } from './state-scale/options.js';
import type { RunStatus, StateRunRecord, StateScaleRun } from './state-scale/records.js';

const ROOT = join(import.meta.dirname, '..');
const FLINK_DIR = join(ROOT, 'bench', 'flink');
const CHILD = join(DATA_DIR, 'build', 'state-scale-child.mjs');
const WORK_DIR = join(DATA_DIR, 'state-scale');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const CHECKPOINT_EVERY = '5s';
/** The watermark delay of every job, in both engines. */
const WATERMARK_DELAY_MS = 60_000;

interface Config {
  jobs: StateJob[];
  sizes: Record<StateJob, number[]>;
  engines: string[];
  memory: string;
  heapMb: number;
  flinkXmx: string;
  /** A run still going after this long is stopped and recorded as timed out. */
  timeoutMs: number;
}

function parseConfig(): Config {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: STATE_JOBS.join(',') },
      sizes: { type: 'string' },
      engines: { type: 'string', default: DEFAULT_ENGINES.join(',') },
      memory: { type: 'string', default: '64MB' },
      'heap-mb': { type: 'string', default: '128' },
      'flink-xmx': { type: 'string', default: '512m' },
      'timeout-min': { type: 'string', default: '180' },
    },
  });
  const jobs = values.jobs.split(',').map((j) => j.trim()) as StateJob[];
  for (const j of jobs) if (!STATE_JOBS.includes(j)) throw new RangeError(`--jobs: unknown job ${j}; known: ${STATE_JOBS.join(', ')}`);
  const engines = values.engines.split(',').map((e) => e.trim());
  for (const e of engines) {
    if (!STATE_ENGINES[e]) throw new RangeError(`--engines: unknown engine ${e}; known: ${Object.keys(STATE_ENGINES).join(', ')}`);
  }
  const heapMb = Number(values['heap-mb']);
  if (!Number.isSafeInteger(heapMb) || heapMb < 16) throw new RangeError(`--heap-mb must be an integer >= 16, got ${values['heap-mb']}`);
  if (!/^\d+[kmg]$/i.test(values['flink-xmx'])) throw new RangeError(`--flink-xmx must look like 512m or 2g, got ${values['flink-xmx']}`);
  const timeoutMin = Number(values['timeout-min']);
  if (!(timeoutMin > 0)) throw new RangeError(`--timeout-min must be a positive number, got ${values['timeout-min']}`);
  return {
    jobs,
    sizes: parseSizes(values.sizes),
    engines,
    memory: values.memory,
    heapMb,
    flinkXmx: values['flink-xmx'],
    timeoutMs: timeoutMin * 60_000,
  };
}

const t0 = performance.now();
const progress = (text: string) => {
  const s = Math.round((performance.now() - t0) / 1000);
  process.stderr.write(`[${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s] ${text}\n`);
};
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Bundles the child so a run pays neither tsx's compilation nor its memory. */
async function buildChild(): Promise<void> {
  await build({
    entry: { 'state-scale-child': join(ROOT, 'bench/state-scale/child.ts') },
    outDir: join(DATA_DIR, 'build'),
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    silent: true,
    config: false,
    outExtension: () => ({ js: '.mjs' }),
  });
}

type Outcome =
  | { ok: true; o: ProcessOutcome }
  /** recordsRead: the last progress line of a streamkit run before it failed. */
  | { ok: false; status: RunStatus; error: string; recordsRead: number | null; peakRssMb: number | null; outerMs: number };

const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|OutOfMemoryError|Java heap space|Cannot allocate memory/;

/** How often a running process's progress is shown. */
const PROGRESS_INTERVAL_MS = 30_000;

async function attempt(config: Config, command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Outcome> {
  // The child writes `records read: N` as it goes: shown every half minute, so a long run shows it is moving.
  let shownAt = performance.now();
  const label = `${args[args.indexOf('--job') + 1] ?? command}`;
  const onStderr = (text: string) => {
    const read = /records read: (\d+)\n(?![\s\S]*records read: )/.exec(text);
    if (read === null || performance.now() - shownAt < PROGRESS_INTERVAL_MS) return;
    shownAt = performance.now();
    progress(`  ${label}: ${Number(read[1]).toLocaleString('en-US')} records read`);
  };
  try {
    return { ok: true, o: await runBenchProcess(command, args, config.timeoutMs, env, onStderr) };
  } catch (e) {
    if (!(e instanceof BenchProcessFailed)) throw e;
    const lines = e.stderrTail.trim().split('\n');
    const oom = lines.find((l) => OUT_OF_MEMORY.test(l));
    const read = lines.filter((l) => l.startsWith('records read: ')).pop();
    return {
      ok: false,
      status: oom ? 'out of memory' : e.message.includes('killed after the timeout') ? 'timed out' : 'failed',
      error: oom?.trim() ?? lines.slice(-6).join('\n'),
      recordsRead: read === undefined ? null : Number(read.slice('records read: '.length)),
      peakRssMb: e.peakRssMb,
      outerMs: e.outerMs,
    };
  }
}

/** Runs the streamkit child with `engine`'s heap limit and state configuration. */
function runChild(config: Config, engine: string, args: string[]): Promise<Outcome> {
  const spec = STATE_ENGINES[engine];
  const nodeArgs = spec.cappedHeap ? [`--max-old-space-size=${config.heapMb}`] : [];
  if (spec.tuned) nodeArgs.push('--max-semi-space-size=4');
  const stateArgs = spec.resident ? ['--memory', config.memory] : [];
  const env = spec.tuned ? { ...process.env, MALLOC_ARENA_MAX: '2' } : undefined;
  return attempt(config, process.execPath, [...nodeArgs, CHILD, ...args, ...stateArgs, '--checkpoint-every', CHECKPOINT_EVERY], env);
}

function runFlink(config: Config, engine: string, job: StateJob, input: string, out: string): Promise<Outcome> {
  const args = [
    ...['--job', job, '--input', input, '--out', out, '--parallelism', '1'],
    ...['--watermark-delay-ms', String(WATERMARK_DELAY_MS), '--state-backend', STATE_ENGINES[engine].stateBackend as string],
    ...['--checkpoint-interval-ms', '5000'],
  ];
  return attempt(config, join(FLINK_DIR, 'run'), args, { ...process.env, FLINK_JAVA_OPTS: `-Xmx${config.flinkXmx}` });
}

/** A record of a run that did not finish. */
function failedRecord(job: StateJob, engine: string, size: number, r: Extract<Outcome, { ok: false }>): StateRunRecord {
  return {
    job,
    engine,
    size,
    status: r.status,
    error: r.error,
    records: r.recordsRead,
    wallMs: Math.round(r.outerMs),
    eventsPerSecond: null,
    steadyEventsPerSecond: null,
    peakRssMb: r.peakRssMb,
    cpuSeconds: null,
    outputRows: null,
    duplicates: null,
    digest: null,
    outputAsGenerated: null,
  };
}

/** The common figures of a finished run. */
function finishedRecord(job: StateJob, engine: string, size: number, o: ProcessOutcome): StateRunRecord {
  const r = o.result;
  const records = num(r.records) ?? 0;
  const wallMs = num(r.wallMs) ?? o.outerMs;
  const steady = steadyEventsPerSecond({
    records,
    wallMs,
    firstResultMs: num(r.firstResultMs),
    recordsAtFirstResult: num(r.recordsAtFirstResult),
  });
  return {
    job,
    engine,
    size,
    status: 'ok',
    records,
    wallMs: Math.round(wallMs),
    eventsPerSecond: wallMs > 0 ? Math.round((records * 1000) / wallMs) : null,
    steadyEventsPerSecond: steady === null ? null : Math.round(steady),
    peakRssMb: o.peakRssMb,
    cpuSeconds: o.cpuSeconds,
    outputRows: num(r.outputRows),
    duplicates: num(r.duplicates),
    digest: typeof r.digest === 'string' ? r.digest : null,
    outputAsGenerated: null,
    firstResultMs: num(r.firstResultMs),
    detail: r,
  };
}

/** The digest of Flink's session rows, read from the file it wrote. */
async function flinkSessionDigest(file: string): Promise<string | null> {
  if (!existsSync(file)) return null;
  const digest = new OutputDigest();
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (line === '') continue;
    const row = JSON.parse(line) as { k: string; windowStart: number; windowEnd: number; n: number };
    digest.add(sessionRowText(row.k, row.windowStart, row.windowEnd, row.n));
  }
  return digest.toString();
}

function describe(r: StateRunRecord): string {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
  const base = `${r.job} ${sizeLabel(r.size)} ${r.engine}: ${r.status}`;
  if (r.status !== 'ok') {
    const read = r.records === null ? '' : ` with at least ${f(r.records)} records read`;
    return `${base} after ${f((r.wallMs ?? 0) / 1000)} s${read}, peak RSS ${f(r.peakRssMb)} MB\n${r.error ?? ''}`;
  }
  const parts = [`wall ${((r.wallMs ?? 0) / 1000).toFixed(1)} s`, `peak RSS ${f(r.peakRssMb)} MB`];
  if (r.job === 'dedup-ids' || r.job === 'sessions-keys') {
    parts.push(`${f(r.eventsPerSecond)} ev/s (steady ${f(r.steadyEventsPerSecond)})`, `rows ${f(r.outputRows)}`);
    if (r.job === 'dedup-ids') parts.push(`duplicates ${f(r.duplicates)}`);
    parts.push(r.outputAsGenerated ? 'output as generated' : 'OUTPUT DIFFERS from the generated input');
  }
  if (r.job === 'restart') parts.push(`start → job.started ${f(r.startedMs)} ms, → first result ${f(r.firstResultMs)} ms`);
  if (r.job === 'checkpoint' && r.checkpoint) {
    parts.push(
      `${f(r.checkpoint.touched)} new ids, checkpoint ${r.checkpoint.durationMs} ms, ${f(r.checkpoint.sizeBytes)} bytes, ${f(r.checkpoint.entries)} entries`,
    );
  }
  return `${base}; ${parts.join(', ')}`;
}

async function dedupIds(config: Config, engine: string, size: number): Promise<StateRunRecord> {
  const input = await ensureDedupIds(size);
  const spec = dedupIdsSpec(size);
  const lines = Math.round(spec.distinct / (1 - spec.duplicateShare));
  const dir = join(WORK_DIR, `${engine}-dedup-ids-${size}`);
  rmSync(dir, { recursive: true, force: true });
  const outcome =
    STATE_ENGINES[engine].kind === 'flink'
      ? await runFlink(config, engine, 'dedup-ids', input, dir)
      : await runChild(config, engine, ['--job', 'dedup-ids', '--input', input, '--state-dir', dir]);
  if (!outcome.ok) return failedRecord('dedup-ids', engine, size, outcome);
  const record = finishedRecord('dedup-ids', engine, size, outcome.o);
  // Flink counts the rows its sink received; what it dropped is the rest.
  if (STATE_ENGINES[engine].kind === 'flink' && record.records !== null && record.outputRows !== null) {
    record.duplicates = record.records - record.outputRows;
  }
  record.outputAsGenerated = record.records === lines && record.outputRows === size && record.duplicates === lines - size;
  rmSync(dir, { recursive: true, force: true });
  return record;
}

async function sessionsKeys(config: Config, engine: string, size: number): Promise<StateRunRecord> {
  const input = await ensureSessionKeys(size);
  const dir = join(WORK_DIR, `${engine}-sessions-keys-${size}`);
  rmSync(dir, { recursive: true, force: true });
  const isFlink = STATE_ENGINES[engine].kind === 'flink';
  const outcome = isFlink
    ? await runFlink(config, engine, 'sessions-keys', input, dir)
    : await runChild(config, engine, ['--job', 'sessions-keys', '--input', input, '--state-dir', dir]);
  if (!outcome.ok) return failedRecord('sessions-keys', engine, size, outcome);
  const record = finishedRecord('sessions-keys', engine, size, outcome.o);
  record.duplicates = null;
  if (isFlink) record.digest = await flinkSessionDigest(join(dir, 'sessions-keys.jsonl'));
  record.outputAsGenerated = record.records === 2 * size && record.outputRows === expectedSessions(size);
  rmSync(dir, { recursive: true, force: true });
  return record;
}

/** The filled state directory of (engine, size): M ids in state and a checkpoint of them, made once. */
async function filled(config: Config, engine: string, size: number, cache: Map<string, Outcome & { dir: string }>) {
  const key = `${engine}-${size}`;
  const known = cache.get(key);
  if (known) return known;
  const input = await ensureStateIds(size);
  const dir = join(WORK_DIR, `${engine}-fill-${size}`);
  progress(`fill ${sizeLabel(size)} ${engine}: ${size.toLocaleString('en-US')} ids into state`);
  const outcome = await runChild(config, engine, ['--job', 'fill', '--input', input, '--state-dir', dir, '--stop-after', String(size)]);
  const result = { ...outcome, dir };
  cache.set(key, result);
  return result;
}

function fillSummary(o: ProcessOutcome): StateRunRecord['fill'] {
  const r = o.result;
  return {
    records: num(r.records) ?? 0,
    wallMs: num(r.wallMs) ?? Math.round(o.outerMs),
    peakRssMb: o.peakRssMb,
    checkpoints: Array.isArray(r.checkpoints) ? r.checkpoints.length : 0,
  };
}

async function restartOrCheckpoint(
  config: Config,
  job: 'restart' | 'checkpoint',
  engine: string,
  size: number,
  cache: Map<string, Outcome & { dir: string }>,
): Promise<StateRunRecord> {
  const fill = await filled(config, engine, size, cache);
  if (!fill.ok) return { ...failedRecord(job, engine, size, fill), error: `filling the state failed: ${fill.error}` };
  const dir = join(WORK_DIR, `${engine}-${job}-${size}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(fill.dir, dir, { recursive: true });
  const input = await ensureStateIds(size);
  const touched = Math.ceil(size / 100);
  const args =
    job === 'restart'
      ? ['--job', 'resume', '--input', input, '--state-dir', dir]
      : ['--job', 'touch', '--input', input, '--state-dir', dir, '--stop-after', String(touched)];
  const outcome = await runChild(config, engine, args);
  rmSync(dir, { recursive: true, force: true });
  if (!outcome.ok) return { ...failedRecord(job, engine, size, outcome), fill: fillSummary(fill.o) };
  const record = finishedRecord(job, engine, size, outcome.o);
  record.fill = fillSummary(fill.o);
  record.steadyEventsPerSecond = null;
  record.eventsPerSecond = null;
  record.duplicates = null;
  const r = outcome.o.result;
  if (job === 'restart') {
    record.startedMs = num(r.startedMs);
    record.outputAsGenerated = r.restoredFrom !== null && record.outputRows !== null && record.outputRows > 0;
  } else {
    const seen = (Array.isArray(r.checkpoints) ? r.checkpoints : []) as Array<{ durationMs: number; sizeBytes: number; entries: number }>;
    const last = seen[seen.length - 1];
    record.checkpoint = last
      ? { touched: record.records ?? 0, durationMs: last.durationMs, sizeBytes: last.sizeBytes, entries: last.entries }
      : null;
    // Every record read is a new id: all of them kept, none dropped.
    record.outputAsGenerated = r.restoredFrom !== null && record.outputRows === record.records && num(r.duplicates) === 0;
  }
  return record;
}

function flinkInstalled(): boolean {
  return existsSync(join(FLINK_DIR, 'target', 'streamkit-flink-bench-0.1.0.jar')) && existsSync(join(FLINK_DIR, 'target', 'classpath.txt'));
}

function flinkVersion(): string | null {
  try {
    return /<flink\.version>([^<]+)</.exec(readFileSync(join(FLINK_DIR, 'pom.xml'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Appends this invocation to bench/results/state-scale.json and writes its markdown section. */
function save(run: StateScaleRun): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'state-scale.json');
  const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { runs: StateScaleRun[] }) : { runs: [] };
  const at = all.runs.findIndex((r) => r.date === run.date);
  if (at >= 0) all.runs[at] = run;
  else all.runs.push(run);
  writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
  const markdown = stateScaleMarkdown(run);
  writeFileSync(join(RESULTS_DIR, 'state-scale.md'), markdown + '\n');
  return markdown;
}

async function main(): Promise<void> {
  const config = parseConfig();
  let engines = config.engines;
  if (engines.some((e) => STATE_ENGINES[e].kind === 'flink') && !flinkInstalled()) {
    progress(
      'Flink is not installed (bench/flink/target is missing): skipping the Flink engines. Install it with `npm run bench:flink:install`.',
    );
    engines = engines.filter((e) => STATE_ENGINES[e].kind !== 'flink');
  }
  const machine = { ...machineInfo(), flink: engines.some((e) => STATE_ENGINES[e].kind === 'flink') ? flinkVersion() : null };
  progress(
    `machine: ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.java ?? 'no Java'}; load average ${machine.loadAverage}`,
  );
  await buildChild();
  mkdirSync(WORK_DIR, { recursive: true });
  const run: StateScaleRun = {
    date: new Date().toISOString(),
    finished: '',
    machine,
    config: {
      jobs: config.jobs,
      sizes: Object.fromEntries(config.jobs.map((j) => [j, config.sizes[j]])),
      engines,
      memory: config.memory,
      heapMb: config.heapMb,
      flinkXmx: config.flinkXmx,
      checkpointEvery: CHECKPOINT_EVERY,
      watermarkDelayMs: WATERMARK_DELAY_MS,
    },
    results: [],
  };
  const fills = new Map<string, Outcome & { dir: string }>();
  for (const job of config.jobs) {
    for (const size of config.sizes[job]) {
      for (const engine of engines.filter((e) => runsJob(e, job))) {
        progress(`${job} ${sizeLabel(size)} ${engine}: running`);
        const record =
          job === 'dedup-ids'
            ? await dedupIds(config, engine, size)
            : job === 'sessions-keys'
              ? await sessionsKeys(config, engine, size)
              : await restartOrCheckpoint(config, job, engine, size, fills);
        run.results.push(record);
        progress(describe(record));
        run.finished = new Date().toISOString();
        save(run); // after every run, so an interrupted invocation keeps what it measured
      }
    }
  }
  for (const f of fills.values()) rmSync(f.dir, { recursive: true, force: true });
  run.finished = new Date().toISOString();
  const markdown = save(run);
  console.log('');
  console.log('summary:');
  for (const r of run.results) console.log(`  ${describe(r).split('\n')[0]}`);
  console.log('');
  console.log(markdown);
  console.log('');
  console.log('results appended to bench/results/state-scale.json; section written to bench/results/state-scale.md');
}

await main();
