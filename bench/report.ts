// Generates docs/benchmarks.md and docs/benchmarks.svg from bench/results/latest.json (and the
// microbenchmarks from bench/results/micro-latest.json when present): `npm run bench:report`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from './e2e.js';
import type { MachineInfo } from './e2e/machine.js';
import type { ProfileEntry } from './e2e/profile.js';

const ROOT = join(import.meta.dirname, '..');

interface Results {
  date: string;
  finished?: string;
  machine: MachineInfo;
  config: { sizes: number[]; engines: string[]; jobs: string[]; runs: number; warmup: number; runner: string };
  runnerComparison?: Record<string, { wallMs: number; eventsPerSecond: number; firstResultMs: number | null }>;
  runs: RunRecord[];
}

interface MicroResults {
  date: string;
  totalSeconds: number;
  results: Array<{ name: string; opsPerSecond: number; medianMs: number; rmePercent: number; recordsPerSecond?: number }>;
}

const ENGINE_COLORS: Record<string, string> = {
  streamkit: '#2563eb',
  'streamkit-batch': '#60a5fa',
  'streamkit-level': '#1e3a8a',
  'flink-p1': '#dc2626',
  'flink-p2': '#f87171',
  ceiling: '#16a34a',
  'json-parse': '#86efac',
};

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
const ratio = (a: number, b: number) => `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×`;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Grouped bars, one group per (job, size), one bar per engine; log scale for rates. */
function barPanel(
  runs: RunRecord[],
  groups: Array<{ job: string; size: number }>,
  engines: string[],
  value: (r: RunRecord) => number | null,
  opts: { title: string; unit: string; log: boolean; y0: number; width: number; height: number },
): string {
  const left = 70;
  const top = opts.y0 + 30;
  const plotW = opts.width - left - 20;
  const plotH = opts.height - 80;
  const values = runs.map(value).filter((v): v is number => v !== null && v > 0);
  if (values.length === 0) return '';
  const max = Math.max(...values);
  const min = Math.min(...values);
  const lo = opts.log ? 10 ** Math.floor(Math.log10(min)) : 0;
  const hi = opts.log ? 10 ** Math.ceil(Math.log10(max)) : max * 1.1;
  const y = (v: number) =>
    opts.log
      ? top + plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH
      : top + plotH - (v / hi) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="${opts.y0 + 18}" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`);
  const ticks: number[] = [];
  if (opts.log) for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  else for (let i = 0; i <= 4; i++) ticks.push((hi * i) / 4);
  for (const t of ticks) {
    const ty = y(t);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#e5e7eb"/>`);
    const label = t >= 1e6 ? `${t / 1e6}M` : t >= 1e3 ? `${t / 1e3}k` : `${Math.round(t)}`;
    parts.push(`<text x="${left - 6}" y="${(ty + 4).toFixed(1)}" font-size="11" text-anchor="end">${label}</text>`);
  }
  parts.push(
    `<text x="14" y="${top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${escapeXml(opts.unit)}</text>`,
  );
  const groupW = plotW / groups.length;
  groups.forEach((g, gi) => {
    const present = engines.filter((e) => runs.some((r) => r.engine === e && r.job === g.job && r.size === g.size && value(r) !== null));
    const barW = Math.min(28, (groupW - 16) / Math.max(1, present.length));
    const x0 = left + gi * groupW + (groupW - barW * present.length) / 2;
    present.forEach((e, ei) => {
      const r = runs.find((x) => x.engine === e && x.job === g.job && x.size === g.size)!;
      const v = value(r)!;
      const by = y(Math.max(v, lo));
      parts.push(
        `<rect x="${(x0 + ei * barW).toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - by).toFixed(1)}" fill="${ENGINE_COLORS[e] ?? '#6b7280'}"><title>${escapeXml(`${e} ${g.job} ${sizeLabel(g.size)}: ${int(v)} ${opts.unit}`)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 16}" font-size="11" text-anchor="middle">${escapeXml(`${g.job} ${sizeLabel(g.size)}`)}</text>`,
    );
  });
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
  return parts.join('\n');
}

function chart(results: Results): string {
  const width = 960;
  const panelH = 320;
  const engines = Object.keys(ENGINE_COLORS).filter((e) => results.runs.some((r) => r.engine === e));
  const groups: Array<{ job: string; size: number }> = [];
  for (const size of results.config.sizes) {
    for (const job of results.config.jobs) if (results.runs.some((r) => r.job === job && r.size === size)) groups.push({ job, size });
  }
  const legend = engines
    .map(
      (e, i) =>
        `<rect x="${70 + i * 125}" y="${2 * panelH + 8}" width="12" height="12" fill="${ENGINE_COLORS[e]}"/><text x="${86 + i * 125}" y="${2 * panelH + 18}" font-size="12">${e}</text>`,
    )
    .join('\n');
  const body = [
    barPanel(results.runs, groups, engines, (r) => r.eventsPerSecond, {
      title: 'Events per second (median, log scale; ceiling and json-parse: timed loop only)',
      unit: 'events/s',
      log: true,
      y0: 0,
      width,
      height: panelH,
    }),
    barPanel(results.runs, groups, engines, (r) => r.peakRssMb, {
      title: 'Peak RSS (MB)',
      unit: 'MB',
      log: false,
      y0: panelH,
      width,
      height: panelH,
    }),
    legend,
  ].join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${2 * panelH + 30}" viewBox="0 0 ${width} ${2 * panelH + 30}" font-family="system-ui, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

function find(results: Results, engine: string, job: string, size: number): RunRecord | undefined {
  return results.runs.find((r) => r.engine === engine && r.job === job && r.size === size);
}

function targets(results: Results): string[] {
  const lines: string[] = ['| target | measured | verdict |', '|---|---|---|'];
  const sizes = [...results.config.sizes].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1];
  for (const size of sizes) {
    const sk = find(results, 'streamkit', 'zone-5m', size);
    const flink = find(results, 'flink-p1', 'zone-5m', size);
    if (sk && flink) {
      const r = sk.eventsPerSecond / flink.eventsPerSecond;
      const equal = sk.outputEqual === true;
      lines.push(
        `| zone-5m ≥ 1.0× Flink p1 with equal outputs (${sizeLabel(size)}) | ${r.toFixed(2)}× (${int(sk.eventsPerSecond)} vs ${int(flink.eventsPerSecond)} events/s), outputs ${equal ? 'equal' : 'not equal'} | ${r >= 1 && equal ? 'met' : `missed${r < 1 ? ` by ${((1 - r) * 100).toFixed(0)} %` : ''}${equal ? '' : ' (outputs differ)'}`} |`,
      );
    } else {
      lines.push(
        `| zone-5m ≥ 1.0× Flink p1 with equal outputs (${sizeLabel(size)}) | not measured (${sk ? 'no Flink run' : 'no streamkit run'}) | — |`,
      );
    }
  }
  for (const size of sizes) {
    const sk = find(results, 'streamkit', 'zone-5m', size);
    const ceiling = find(results, 'ceiling', 'zone-5m', size);
    if (sk && ceiling) {
      const r = sk.eventsPerSecond / ceiling.eventsPerSecond;
      lines.push(
        `| zone-5m ≥ 0.5× the plain-loop ceiling (${sizeLabel(size)}) | ${ratio(sk.eventsPerSecond, ceiling.eventsPerSecond)} | ${r >= 0.5 ? 'met' : `missed: ${(0.5 / r).toFixed(0)}× short`} |`,
      );
    }
  }
  const at3m = results.runs.filter((r) => r.engine.startsWith('streamkit') && r.size === 3_000_000 && r.peakRssMb !== null);
  if (at3m.length > 0) {
    const worst = at3m.reduce((a, b) => ((a.peakRssMb ?? 0) >= (b.peakRssMb ?? 0) ? a : b));
    lines.push(
      `| peak RSS ≤ 150 MB at 3M | ${worst.peakRssMb} MB (${worst.engine} ${worst.job}) | ${(worst.peakRssMb ?? 0) <= 150 ? 'met' : `missed by ${Math.round((worst.peakRssMb ?? 0) - 150)} MB`} |`,
    );
  } else {
    const big = results.runs.filter((r) => r.engine.startsWith('streamkit') && r.size === largest && r.peakRssMb !== null);
    const worst = big.length > 0 ? big.reduce((a, b) => ((a.peakRssMb ?? 0) >= (b.peakRssMb ?? 0) ? a : b)) : undefined;
    lines.push(
      `| peak RSS ≤ 150 MB at 3M | 3M not run; at ${sizeLabel(largest)}: ${worst ? `${worst.peakRssMb} MB (${worst.engine} ${worst.job})` : 'n/a'} | not measured${worst && (worst.peakRssMb ?? 0) > 150 ? ` (already ${Math.round((worst.peakRssMb ?? 0) - 150)} MB over at ${sizeLabel(largest)})` : ''} |`,
    );
  }
  const small = find(results, 'streamkit', 'zone-5m', 10_000);
  if (small) {
    lines.push(
      `| 10k taxi job (zone-5m) < 1 s wall | ${int(small.wallMs)} ms | ${small.wallMs < 1000 ? 'met' : `missed by ${int(small.wallMs - 1000)} ms`} |`,
    );
  }
  return lines;
}

/** Input records per second of processing (the runtime's own duration, start-up excluded), from the last run. */
function processingRate(r: RunRecord): number | null {
  const ms = r.detail?.processingMs;
  const records = r.detail?.records;
  return typeof ms === 'number' && typeof records === 'number' && ms > 0 ? (records * 1000) / ms : null;
}

function ratioTable(results: Results): string[] {
  const lines = [
    '| job | size | streamkit events/s | ÷ Flink p1 | ÷ Flink p2 | ÷ ceiling loop | ÷ JSON.parse loop | streamkit events/s without start-up | that ÷ ceiling loop |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const size of results.config.sizes) {
    for (const job of results.config.jobs) {
      const sk = find(results, 'streamkit', job, size);
      if (!sk) continue;
      const cell = (engine: string, j = job) => {
        const o = find(results, engine, j, size);
        return o ? ratio(sk.eventsPerSecond, o.eventsPerSecond) : '—';
      };
      const processing = processingRate(sk);
      const ceiling = find(results, 'ceiling', job, size);
      lines.push(
        `| ${job} | ${sizeLabel(size)} | ${int(sk.eventsPerSecond)} | ${cell('flink-p1')} | ${cell('flink-p2')} | ${job === 'zone-5m' ? cell('ceiling') : '—'} | ${job === 'zone-5m' ? cell('json-parse', 'parse') : '—'} | ${processing === null ? '—' : int(processing)} | ${processing !== null && ceiling ? ratio(processing, ceiling.eventsPerSecond) : '—'} |`,
      );
    }
  }
  return lines;
}

function detailTables(results: Results): string[] {
  const out: string[] = [];
  const jobs = [...results.config.jobs, 'parse'];
  for (const job of jobs) {
    for (const size of results.config.sizes) {
      const rows = results.runs.filter((r) => r.job === job && r.size === size);
      if (rows.length === 0) continue;
      out.push(`### ${job}, ${int(size)} events`, '');
      out.push(
        '| engine | events/s (median) | runs (events/s) | wall ms | first result ms | peak RSS MB | output rows | late | output equal | checkpoints |',
        '|---|---|---|---|---|---|---|---|---|---|',
      );
      for (const r of rows) {
        const self = r.reference === r.engine;
        const eq =
          r.outputEqual === null
            ? '—'
            : r.outputEqual
              ? `yes (vs ${self ? 'the others' : r.reference})`
              : self
                ? '**no** (reference; the others differ)'
                : `**no** (vs ${r.reference})`;
        out.push(
          `| ${r.engine} | ${int(r.eventsPerSecond)} | ${r.samples.map(int).join(', ')} | ${int(r.wallMs)} | ${r.firstResultMs === null ? '—' : int(r.firstResultMs)} | ${r.peakRssMb ?? '—'} | ${r.outputRows === undefined ? '—' : int(r.outputRows)} | ${r.late === undefined ? '—' : int(r.late)} | ${eq} | ${typeof r.detail?.checkpoints === 'number' ? r.detail.checkpoints : '—'} |`,
        );
      }
      out.push('');
    }
  }
  return out;
}

function microSection(): string[] {
  const file = join(ROOT, 'bench', 'results', 'micro-latest.json');
  if (!existsSync(file)) return [];
  const micro = JSON.parse(readFileSync(file, 'utf8')) as MicroResults;
  const lines = [
    '## Microbenchmarks (`npm run bench`)',
    '',
    `tinybench, ${micro.date}, ${micro.totalSeconds} s in all. Per operation; rme is the relative margin of error of the mean latency.`,
    '',
    '| benchmark | ops/s | median | rme | records/s |',
    '|---|---|---|---|---|',
  ];
  for (const r of micro.results) {
    const median =
      r.medianMs < 0.001
        ? `${(r.medianMs * 1e6).toFixed(0)} ns`
        : r.medianMs < 1
          ? `${(r.medianMs * 1000).toFixed(2)} µs`
          : `${r.medianMs.toFixed(1)} ms`;
    lines.push(
      `| ${r.name} | ${r.opsPerSecond >= 10 ? int(r.opsPerSecond) : r.opsPerSecond.toPrecision(3)} | ${median} | ±${r.rmePercent.toFixed(1)} % | ${r.recordsPerSecond === undefined ? '' : int(r.recordsPerSecond)} |`,
    );
  }
  lines.push('');
  return lines;
}

function profileSection(): string[] {
  const file = join(ROOT, 'bench', 'results', 'profile-latest.json');
  if (!existsSync(file)) return [];
  const entries = JSON.parse(readFileSync(file, 'utf8')) as ProfileEntry[];
  const lines = [
    '## Where zone-5m spends its time',
    '',
    'Self time from `node --cpu-prof` of one streamkit zone-5m run (`tsx bench/e2e/profile.ts`), by source module and by function, start-up included. `bench/e2e/output-rows.ts` sorts and writes the output file after the wall clock has stopped: it is in the profile, not in the measured times.',
    '',
  ];
  for (const e of entries) {
    lines.push(
      `### ${e.batchSize === 1 ? 'One record per batch (the equal-output configuration)' : `${int(e.batchSize)} records per batch`}: ${e.input}, ${int(e.totalMs)} ms profiled`,
      '',
    );
    lines.push('| module | self time | | function | self time |', '|---|---|---|---|---|');
    const n = Math.max(e.modules.length, e.functions.length);
    for (let i = 0; i < n; i++) {
      const m = e.modules[i];
      const f = e.functions[i];
      lines.push(
        `| ${m ? escapeMd(m.name) : ''} | ${m ? `${m.percent} %` : ''} | | ${f ? escapeMd(f.name) : ''} | ${f ? `${f.percent} %` : ''} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

function escapeMd(s: string): string {
  return s.replace(/\|/g, '\\|');
}

interface Part {
  sizes: number[];
  jobs: string[];
  engines: string[];
  runs: number;
  warmup: number;
  date?: string;
  loadAverage?: number;
}

/** How the results were measured: one line per part when a long benchmark ran in parts. */
function runParts(results: Results): string[] {
  const parts = ((results.config as { parts?: Part[] }).parts ?? [
    { ...results.config, date: results.date, loadAverage: results.machine.loadAverage },
  ]) as Part[];
  const lines = [
    "Every run is a separate process. Within a part, each engine gets its warm-up run(s) before its first measured run only (file cache, class data, first load of the bundle); the figures are the median of the measured runs. The jobs follow the project's benchmark protocol (BENCHMARKS.md); how this harness applies it is in the notes at the end.",
    '',
    '| part | started | load average | sizes | jobs | engines | measured runs | warm-up runs |',
    '|---|---|---|---|---|---|---|---|',
  ];
  parts.forEach((p, i) => {
    lines.push(
      `| ${i + 1} | ${p.date ?? '—'} | ${p.loadAverage ?? (i === 0 ? results.machine.loadAverage : '—')} | ${p.sizes.map(sizeLabel).join(', ')} | ${p.jobs.join(', ')} | ${p.engines.join(', ')} | ${p.runs} | ${p.warmup} |`,
    );
  });
  return lines;
}

function main(): void {
  const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'latest.json'), 'utf8')) as Results;
  const m = results.machine;
  writeFileSync(join(ROOT, 'docs', 'benchmarks.svg'), chart(results));
  const rc = results.runnerComparison;
  const doc = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench:report` from bench/results/latest.json; do not edit by hand. -->',
    '',
    `Run of ${results.date}: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ${m.java ?? 'no Java'}. ` +
      `Load average when it started: ${m.loadAverage} — the machine is shared with other work, so absolute figures are noisy; ` +
      'the ratios below come from engines measured in the same run, one after the other.',
    '',
    ...runParts(results),
    '',
    '![events per second and peak RSS per engine, job and size](benchmarks.svg)',
    '',
    '## Targets',
    '',
    ...targets(results),
    '',
    '## Ratios (same run)',
    '',
    ...ratioTable(results),
    '',
    '## Published anchors',
    '',
    '| system (published, Docker stacks, 10,000 events) | processing | rate | memory | how it differs from the runs above |',
    '|---|---|---|---|---|',
    '| Flink SQL | 24 s | 18,586 events/s ingestion | 2,870 MB | a Flink cluster plus Kafka in Docker, timed from the broker; here a local mini-cluster in one JVM reading a file, timed from JVM start |',
    '| Spark | 24 s | — | 1,230 MB | micro-batches with Kafka in Docker; not run here |',
    '| RisingWave | about 2 s | — | 449 MB | with Redpanda in Docker; not run here |',
    '| DuckDB batch baseline | 21 s for 2.96M rows | — | — | batch over the whole month; not run here |',
    '',
    ...(find(results, 'streamkit', 'zone-5m', 10_000)
      ? [
          `streamkit zone-5m over the same 10,000 events here: ${int(find(results, 'streamkit', 'zone-5m', 10_000)!.wallMs)} ms wall from process start, ` +
            `${find(results, 'streamkit', 'zone-5m', 10_000)!.peakRssMb} MB peak RSS.`,
          '',
        ]
      : []),
    '## Results per job and size',
    '',
    ...detailTables(results),
    ...microSection(),
    ...profileSection(),
    '## Method notes',
    '',
    '- **Input**: the taxi generator (`examples/taxi/generator.ts`, seed 1), written once as JSONL under `bench/.data/`; the dedup job reads the same trips with 5 % delivered twice. Every engine reads the same file.',
    "- **Jobs**: the streamkit side is `bench/e2e/streamkit-job.ts`, built with the public API and the taxi example's Bronze and Silver rules; the Flink side is `bench/flink/sql/*.sql` run by `bench/flink/run` (local mini-cluster, parallelism 1 and 2). zone-5m reads only the columns it aggregates in both engines (Flink's planner prunes the sha256 trip id; streamkit's job derives only what it sums); silver and dedup compute every Silver column including the trip id.",
    "- **Watermarks**: both engines use `max pickup − 30 s − 1 ms`. Flink (with `pipeline.auto-watermark-interval = 0`) advances it after every record; streamkit advances it after every batch. `streamkit` therefore runs with one record per batch, which gives the same late records and equal outputs; `streamkit-batch` runs with the default 1,024 per batch: fewer records are late, so its zone-5m output differs, and it shows what batching is worth. With the generator's realistic arrival delays, most trips arrive more than 30 s behind the newest pickup, so at 1M events most records are late and dropped in every engine: the job measures the late path as much as the aggregation.",
    '- **streamkit-level**: as `streamkit`, with `levelState` in a fresh directory and a checkpoint every 5 s (fsync on).',
    "- **Rates**: events/s = input lines ÷ wall seconds from process start to the last result (JVM start for Flink, process start for Node), so small inputs are dominated by start-up. The ceiling (`bench/ceiling.ts`) times only its loop over pre-parsed records (zone-5m arithmetic, per-record watermark, late records dropped, each window evicted once the watermark passes it); `json-parse` times only `JSON.parse` over the lines. Their output is checked like any engine's: the ceiling's zone-5m rows are the reference when Flink is absent.",
    '- **Equality**: rows keyed by zone and window start (sessions: vendor, zone, start and end); trips compared exactly, money and averages in integer cents; silver compares the row count.',
    ...(results.runs.some((r) => r.job === 'sessions' && r.outputEqual === false)
      ? [
          "- **sessions output**: the rows that differ are extra, larger sessions in streamkit, each the union of a session both engines emit and one more record. Two rules differ. (1) A record whose own `[t, t + gap)` has already passed the watermark but that touches a live session merges into it in streamkit (SEMANTICS.md: a late record that touches a session merges it; Flink's DataStream WindowOperator does the same), while Flink SQL's SESSION window TVF drops it as late before merging. (2) streamkit keeps a session mergeable until `W >= end`, one millisecond past its `maxTimestamp` (`pushTimers` in `src/windowing/window-operator.ts`), so a record arriving exactly at `W = end - 1` still joins a session that has fired; Flink has cleared it at `W >= maxTimestamp`, and SEMANTICS.md expires a window at `W >= maxTimestamp + allowedLateness`.",
        ]
      : []),
    "- **Peak RSS**: the kernel's high-water mark of the process (`/usr/bin/time`), JVM included for Flink. Node lets its heap grow while garbage is cheap to leave: most of streamkit's RSS is collector headroom, not live state. Measured on the 1M zone-5m job (one record per batch, prebuilt bundle, a quiet machine): default flags 313 MB at 108,886 events/s; `node --max-old-space-size=96` 211 MB at 92,436; `--max-old-space-size=64 --max-semi-space-size=4` 153 MB at 88,234 — the job fits a 64 MB old generation. The harness runs every engine with its default heap (Flink with `-Xmx2g`).",
    '- **Hot-path fixes from the profile**: the profile of one-record batches showed the JSONL source re-slicing its read-ahead on every poll, watermark gauges looked up by label on every batch, a timer and `Promise.race` per poll, and SHA-256 result ids. After the fixes (a read-ahead index answered synchronously, gauges resolved once, MurmurHash3 ids) the same 1M zone-5m job, old and new code alternating in one sitting (tsx, one record per batch), took 13.5 / 14.0 / 14.1 s before and 9.1 / 10.6 / 11.0 s after: 1.32× on the median. What remains is mostly the taxi rules (Bronze parsing, New York timestamps, rounding) and garbage collection; the engine itself is under 10 % of the profile.',
    `- **Runner**: streamkit runs are ${results.config.runner === 'built' ? 'a bundle built with tsup at the start of the run (`bench/.data/build/streamkit-job.mjs`, dependencies external)' : 'started through tsx'}.` +
      (rc?.tsx && rc.built
        ? ` Measured in this run on the smallest input: through tsx ${int(rc.tsx.wallMs)} ms wall, prebuilt ${int(rc.built.wallMs)} ms.`
        : ''),
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), doc);
  console.log('wrote docs/benchmarks.md and docs/benchmarks.svg');
}

main();
