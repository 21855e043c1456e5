// One streamkit run of the state-scale benchmark in its own process, so its peak RSS and heap
// limit are its own:
//   node [--max-old-space-size=MB] state-scale-child.mjs --job dedup-ids|sessions-keys|fill|resume|touch
//        --input FILE --state-dir DIR [--memory 64MB] [--stop-after N]
// dedup-ids and sessions-keys start from an empty state directory and read the whole file.
// fill reads the restart/checkpoint input until N records are in state, then stops (a final
// checkpoint). resume restarts on that directory and stops at its first result. touch restarts on it,
// reads N more records (each a new id) and stops: that stop's checkpoint is the one measured.
// Prints one JSON result line on stdout.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import {
  boundedOutOfOrderness,
  count,
  from,
  fromJsonl,
  levelState,
  METRICS,
  session,
  type Job,
  type RunOptions,
  type RuntimeEvent,
  type Sink,
  type WindowResult,
} from '../../src/index.js';
import { OutputDigest, sessionRowText } from './digest.js';
import type { IdEvent, KeyEvent } from './inputs.js';

const JOBS = ['dedup-ids', 'sessions-keys', 'fill', 'resume', 'touch'] as const;
type ChildJob = (typeof JOBS)[number];

/** Records between two progress lines on stderr. */
const PROGRESS_EVERY = 250_000;

/** A sink that digests what it receives and keeps nothing; notes the first result. */
class DigestSink<T> implements Sink<T> {
  readonly name = 'state-scale-digest';
  readonly digest = new OutputDigest();
  firstResultMs: number | undefined;
  recordsAtFirstResult: number | undefined;

  constructor(
    private readonly rowText: (item: T) => string,
    private readonly recordsRead: () => number,
    private readonly onFirst?: () => void,
  ) {}

  write(items: T[]): void {
    if (items.length === 0) return;
    if (this.firstResultMs === undefined) {
      this.firstResultMs = performance.now();
      this.recordsAtFirstResult = this.recordsRead();
      this.onFirst?.();
    }
    for (const item of items) this.digest.add(this.rowText(item));
  }
}

/** One completed checkpoint, as the job's events and metrics report it. */
interface CheckpointSeen {
  id: number;
  durationMs: number;
  entries: number;
  sizeBytes: number;
  /** ms from process start to its completion. */
  atMs: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      job: { type: 'string' },
      input: { type: 'string' },
      'state-dir': { type: 'string' },
      memory: { type: 'string' },
      'checkpoint-every': { type: 'string', default: '5s' },
      'stop-after': { type: 'string' },
    },
  });
  const job = values.job as ChildJob;
  if (!JOBS.includes(job)) throw new RangeError(`--job must be one of ${JOBS.join(', ')}, got ${values.job}`);
  if (!values.input) throw new TypeError('--input FILE is required');
  const dir = values['state-dir'];
  if (!dir) throw new TypeError('--state-dir DIR is required');
  const stopAfter = values['stop-after'] === undefined ? undefined : Number(values['stop-after']);
  if (stopAfter !== undefined && !(Number.isSafeInteger(stopAfter) && stopAfter > 0)) {
    throw new RangeError(`--stop-after must be a positive integer, got ${values['stop-after']}`);
  }
  if ((job === 'fill' || job === 'touch') && stopAfter === undefined) throw new TypeError(`--job ${job} needs --stop-after N`);
  // A fresh run starts without a checkpoint; resume and touch restart on fill's directory.
  if (job === 'dedup-ids' || job === 'sessions-keys' || job === 'fill') rmSync(dir, { recursive: true, force: true });

  let recordsRead = 0;
  let running: Job | undefined;
  let stopRequested = false;
  const stop = () => {
    if (stopRequested || !running) return;
    stopRequested = true;
    void running.stop();
  };
  const parse = (line: string): unknown => {
    recordsRead++;
    // On stderr: how far a run got if it runs out of memory.
    if (recordsRead % PROGRESS_EVERY === 0) process.stderr.write(`records read: ${recordsRead}\n`);
    if (stopAfter !== undefined && recordsRead === stopAfter) stop();
    return JSON.parse(line);
  };

  let startedMs: number | undefined;
  let restoredFrom: number | undefined;
  const checkpoints: CheckpointSeen[] = [];
  const onEvent = (e: RuntimeEvent) => {
    if (e.type === 'job.started') {
      startedMs = performance.now();
      restoredFrom = e.restoredFrom;
    } else if (e.type === 'checkpoint.completed') {
      checkpoints.push({
        id: e.id,
        durationMs: Math.round(e.durationMs * 10) / 10,
        entries: e.entries,
        sizeBytes: running?.metrics.get(METRICS.checkpointSize) ?? -1,
        atMs: Math.round(performance.now()),
      });
    }
  };
  const options: RunOptions = {
    state: values.memory === undefined ? levelState(dir) : levelState(dir, { memory: values.memory }),
    // touch measures the checkpoint of its stop: no interval checkpoint before it.
    checkpointEvery: job === 'touch' ? '24h' : (values['checkpoint-every'] as RunOptions['checkpointEvery']),
    onEvent,
  };

  let sink: DigestSink<never>;
  if (job === 'sessions-keys') {
    const s = new DigestSink<WindowResult<string, { n: number }>>(
      (r) => sessionRowText(r.key, r.window.start, r.window.end, r.value.n),
      () => recordsRead,
    );
    sink = s as DigestSink<never>;
    running = from(fromJsonl<KeyEvent>(values.input, { parse: parse as (line: string) => KeyEvent }))
      .withTimestamps((r) => r.t, boundedOutOfOrderness('1m'))
      .keyBy((r) => r.k)
      .window(session('30m'))
      .aggregate({ n: count() })
      .to(s)
      .run(options);
  } else {
    const s = new DigestSink<IdEvent>(
      (r) => r.id,
      () => recordsRead,
      job === 'resume' ? stop : undefined,
    );
    sink = s as DigestSink<never>;
    running = from(fromJsonl<IdEvent>(values.input, { parse: parse as (line: string) => IdEvent }))
      .withTimestamps((r) => r.t, boundedOutOfOrderness('1m'))
      .dedup((r) => r.id, { within: '24h' })
      .to(s)
      .run(options);
  }
  const summary = await running;
  const wallMs = performance.now();
  const metric = (m: Parameters<Job['metrics']['total']>[0]) => running.metrics.total(m);
  const line = {
    engine: values.memory === undefined ? 'streamkit-heap' : 'streamkit-resident',
    job,
    memory: values.memory ?? null,
    records: summary.records,
    wallMs: Math.round(wallMs),
    startedMs: startedMs === undefined ? null : Math.round(startedMs * 10) / 10,
    firstResultMs: sink.firstResultMs === undefined ? null : Math.round(sink.firstResultMs * 10) / 10,
    recordsAtFirstResult: sink.recordsAtFirstResult ?? null,
    outputRows: sink.digest.rows,
    digest: sink.digest.toString(),
    duplicates: summary.duplicates,
    late: summary.late,
    deadLetters: summary.deadLetters,
    stopped: summary.stopped,
    restoredFrom: restoredFrom ?? null,
    checkpoints,
    state: {
      cacheHits: metric(METRICS.stateCacheHits),
      cacheMisses: metric(METRICS.stateCacheMisses),
      readBytes: metric(METRICS.stateReadBytes),
      diskBytes: metric(METRICS.stateDiskBytes),
      pressureCheckpoints: metric(METRICS.statePressureCheckpoints),
      checkpointWrittenBytes: metric(METRICS.checkpointWritten),
    },
    heapUsedMb: Math.round(getHeapStatistics().used_heap_size / 1048576),
    heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1048576),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

await main();
