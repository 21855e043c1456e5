import { sizeLabel } from './options.js';
import type { StateRunRecord, StateScaleRun } from './records.js';

/**
 * What the state-scale benchmark measures, as docs/benchmarks.md states it above the tables
 * (the harness writes the same text into bench/results/state-scale.md).
 */
export const STATE_SCALE_METHOD = [
  'Keyed state with more keys than the heap holds: `levelState(dir, { memory })` keeps the state of the operators that support it in LevelDB behind a bounded cache (reads from the cache or LevelDB, incremental checkpoints, a restore that loads nothing), where `levelState(dir)` keeps it on the heap and LevelDB holds its checkpoints. Operators that do not support resident state keep heap state under either configuration. Measured by `npm run bench:state` (`bench/state-scale.ts`); every run is a fresh process.',
  '',
  '**Inputs** (generated once, deterministic, cached in `bench/.data/`): **dedup-ids** N distinct ids (16 hex digits) over 24 hours of event time in roughly increasing order (± 20 s), plus 5 % duplicate lines, each repeating an id first seen within the last hour; **sessions-keys** K keys with two events each, times on whole seconds: the first events of all keys within the first hour, the second 20 minutes later for half the keys (one session of two events) and 45 minutes later for the others (two sessions of one); **restart** and **checkpoint** M distinct ids over 12 hours, then 2 % more ids at the same rate.',
  '',
  "**Jobs**: **dedup-ids** `withTimestamps(r => r.t, boundedOutOfOrderness('1m')).dedup(r => r.id, { within: '24h' })` into a sink that counts and digests the kept records; **sessions-keys** `keyBy(r => r.k).window(session('30m')).aggregate({ n: count() })` into a sink that digests the rows (count, sum and xor of a hash of key, bounds and count); **restart**: a first process runs the dedup job until M ids are in state and stops (`job.stop()`: a final checkpoint), a second process starts on the same directory and reads on, and the figures are process start → `job.started` and process start → the first result; **checkpoint**: from the same filled state, a process reads M/100 more records (all new ids, so 1 % of the keys change), stops, and the checkpoint of its stop is reported: `durationMs` of `checkpoint.completed` and the `checkpoint_size_bytes` metric.",
  '',
  "**Configurations**: **streamkit-resident** `node --max-old-space-size=128` with `levelState(dir, { memory: '64MB' })`; **streamkit-resident-tuned** (optional) the same with the process settings recommended for state on disk, `MALLOC_ARENA_MAX=2` and `--max-semi-space-size=4`; **streamkit-heap** Node's default heap limit with `levelState(dir)`; **streamkit-heap-capped** (optional) `levelState(dir)` under the resident configuration's heap limit; checkpoints every 5 s in each. **flink-rocksdb** the same dedup-ids and sessions-keys jobs in Flink SQL (`bench/flink/sql/dedup-ids.sql`, `sessions-keys.sql`) on a local mini-cluster at parallelism 1 with `state.backend.type: rocksdb`, `-Xmx512m`, incremental checkpoints every 5 s; **flink-hashmap** (optional) the same with heap state. Flink's dedup is the processing-time keep-first deduplication with a 24 h state TTL: like streamkit's dedup it emits a record when its id is first seen and remembers the id for 24 h; on this input both keep the same records.",
  '',
  '**Figures**: events/s is input records ÷ wall seconds from process start (JVM start for Flink) to the last result; steady events/s is the records read after the first result ÷ the seconds after it (a dedup emits its first result at once, so the two differ by start-up only). Peak RSS and CPU seconds come from `/usr/bin/time`. A run that exceeds its heap is recorded as `out of memory`, not as a failure of the harness. The output check compares each run with what its input was generated to give: kept and dropped counts for dedup-ids, the number of session rows for sessions-keys, and, between engines, the digest of the rows.',
  '',
  'Rerun: `npm run bench:state` (defaults: dedup-ids over 50M ids, sessions-keys over 5M keys, restart and checkpoint with 10M keys; engines streamkit-resident, streamkit-heap, flink-rocksdb). Options: `--jobs dedup-ids,sessions-keys,restart,checkpoint`, `--sizes 2M` or `--sizes dedup-ids=2M+10M,restart=1M`, `--engines streamkit-resident,streamkit-resident-tuned,streamkit-heap,streamkit-heap-capped,flink-rocksdb,flink-hashmap`, `--memory 64MB`, `--heap-mb 128`, `--flink-xmx 512m`, `--timeout-min 180` (a run still going then is recorded as timed out). Flink needs `npm run bench:flink:install` first. Results are appended to `bench/results/state-scale.json`; this section with its tables is written to `bench/results/state-scale.md`.',
];

const fmt = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : `${fmt(ms / 1000, 2)} s`);

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function statusCell(r: StateRunRecord): string {
  if (r.status === 'ok') return 'ok';
  const when = r.error?.startsWith('filling') ? ' while filling the state' : '';
  const read = r.records === null ? '' : `, ${fmt(r.records)}+ records read`;
  return `**${r.status}**${when}${read}`;
}
const checkCell = (r: StateRunRecord) => (r.outputAsGenerated === null ? '—' : r.outputAsGenerated ? 'as generated' : '**differs**');

function throughputRows(records: StateRunRecord[]): string[][] {
  return records.map((r) => [
    r.job,
    sizeLabel(r.size),
    r.engine,
    statusCell(r),
    fmt(r.eventsPerSecond),
    fmt(r.steadyEventsPerSecond),
    fmt(r.peakRssMb),
    fmt(r.cpuSeconds, 1),
    fmt(r.outputRows),
    fmt(r.duplicates),
    checkCell(r),
  ]);
}

/**
 * The section of docs/benchmarks.md for one invocation's results.
 * @param run - what the harness measured.
 * @returns markdown, starting with its `## State larger than memory` heading.
 */
export function stateScaleMarkdown(run: StateScaleRun): string {
  const m = run.machine as {
    cores?: number;
    memoryGb?: number;
    cpuModel?: string;
    node?: string;
    java?: string | null;
    flink?: string | null;
  };
  const lines = ['## State larger than memory', '', ...STATE_SCALE_METHOD, ''];
  lines.push(
    `Measured ${run.date} on a shared ${m.cores}-core machine (${m.memoryGb} GB, ${m.cpuModel}), Node ${m.node}, ${m.java ?? 'no Java'}${m.flink ? `, Flink ${m.flink}` : ''}; memory budget ${String(run.config.memory)}, heap limit ${String(run.config.heapMb)} MB, Flink ${String(run.config.flinkXmx)}.`,
    '',
  );
  const throughput = run.results.filter((r) => r.job === 'dedup-ids' || r.job === 'sessions-keys');
  if (throughput.length > 0) {
    lines.push('### Throughput and memory', '');
    lines.push(
      ...table(
        ['job', 'size', 'engine', 'status', 'events/s', 'steady events/s', 'peak RSS MB', 'CPU s', 'output rows', 'duplicates', 'output'],
        throughputRows(throughput),
      ),
      '',
    );
    const digests = new Map<string, Set<string>>();
    for (const r of throughput) {
      if (r.digest === null) continue;
      const key = `${r.job} ${sizeLabel(r.size)}`;
      digests.set(key, (digests.get(key) ?? new Set()).add(r.digest));
    }
    const verdicts = [...digests].map(([key, set]) => `${key}: ${set.size === 1 ? 'equal' : `**${set.size} different digests**`}`);
    if (verdicts.length > 0) lines.push(`Output digests across engines — ${verdicts.join('; ')}.`, '');
  }
  const restarts = run.results.filter((r) => r.job === 'restart');
  if (restarts.length > 0) {
    lines.push('### Restart', '');
    lines.push(
      ...table(
        [
          'keys in state',
          'engine',
          'status',
          'start → job.started',
          'start → first result',
          'peak RSS MB',
          'fill: records, wall, peak RSS',
        ],
        restarts.map((r) => [
          sizeLabel(r.size),
          r.engine,
          statusCell(r),
          seconds(r.startedMs),
          seconds(r.firstResultMs),
          fmt(r.peakRssMb),
          r.fill ? `${fmt(r.fill.records)}, ${seconds(r.fill.wallMs)}, ${fmt(r.fill.peakRssMb)} MB` : '—',
        ]),
      ),
      '',
    );
  }
  const checkpoints = run.results.filter((r) => r.job === 'checkpoint');
  if (checkpoints.length > 0) {
    lines.push('### Checkpoint after 1 % of the keys changed', '');
    lines.push(
      ...table(
        ['keys in state', 'engine', 'status', 'new ids', 'checkpoint duration', 'checkpoint_size_bytes', 'entries', 'peak RSS MB'],
        checkpoints.map((r) => [
          sizeLabel(r.size),
          r.engine,
          statusCell(r),
          fmt(r.checkpoint?.touched),
          r.checkpoint ? `${fmt(r.checkpoint.durationMs, 1)} ms` : '—',
          fmt(r.checkpoint?.sizeBytes),
          fmt(r.checkpoint?.entries),
          fmt(r.peakRssMb),
        ]),
      ),
      '',
    );
  }
  return lines.join('\n');
}
