// Generates docs/benchmarks.md and docs/benchmarks.svg from bench/results/latest.json (and the
// microbenchmarks from bench/results/micro-latest.json and exchange-latest.json when present): `npm run bench:report`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Results, RunRecord, RunSample } from './e2e.js';
import { ENGINES } from './e2e/engines.js';
import { JOB_SPECS, type JobName } from './e2e/jobs.js';
import type { ProfileEntry } from './e2e/profile.js';
import { median } from './e2e/stats.js';
import { chartSvg } from './report/chart.js';
import { exchangeSection, type ExchangeResults } from './report/exchange-section.js';
import { compact, duration, int, megabytes, rate, ratio } from './report/units.js';
import { STATE_SCALE_METHOD } from './state-scale/markdown.js';

const ROOT = join(import.meta.dirname, '..');

interface MicroResults {
  date: string;
  totalSeconds: number;
  machine?: { cores: number; node: string };
  results: Array<{ name: string; opsPerSecond: number; medianMs: number; rmePercent: number; recordsPerOp?: number; note?: string }>;
}

const COLORS: Record<string, string> = {
  streamkit: '#2563eb',
  'streamkit-strict': '#93c5fd',
  'streamkit-level': '#1e3a8a',
  'flink-p1': '#dc2626',
  'flink-p2': '#f59e0b',
  'flink-p1-strict': '#fca5a5',
};
/** Engines drawn and tabled as engines; the ceiling loops have tables of their own. */
const ENGINE_ORDER = ['streamkit', 'flink-p1', 'flink-p2', 'streamkit-strict', 'flink-p1-strict', 'streamkit-level'];

const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
const dash = '—';
const orDash = <T>(v: T | null | undefined, f: (x: T) => string) => (v === null || v === undefined ? dash : f(v));

function escapeMd(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

class Page {
  readonly runs: RunRecord[];
  readonly jobs: JobName[];
  readonly sizes: number[];
  readonly engines: string[];

  constructor(readonly results: Results) {
    this.runs = results.runs;
    const jobOrder: JobName[] = ['zone-5m', 'silver', 'sessions', 'dedup', 'zone-5m-late'];
    this.jobs = jobOrder.filter((j) => this.runs.some((r) => r.job === j));
    this.sizes = [...new Set(this.runs.filter((r) => r.job !== 'latency').map((r) => r.size))].sort((a, b) => a - b);
    this.engines = ENGINE_ORDER.filter((e) => this.runs.some((r) => r.engine === e && r.job !== 'latency'));
  }

  find(engine: string, job: string, size: number): RunRecord | undefined {
    return this.runs.find((r) => r.engine === engine && r.job === job && r.size === size);
  }

  groups(): Array<{ job: JobName; size: number; label: string }> {
    const out: Array<{ job: JobName; size: number; label: string }> = [];
    for (const job of this.jobs) {
      for (const size of this.sizes)
        if (this.runs.some((r) => r.job === job && r.size === size)) out.push({ job, size, label: `${job} ${sizeLabel(size)}` });
    }
    return out;
  }

  allSamples(): RunSample[] {
    return this.runs.flatMap((r) => r.runs ?? []);
  }
}

/** The headline: steady-state ratio streamkit ÷ Flink p1 on zone-5m at the largest size measured. */
function headline(page: Page): string[] {
  const sizes = page.sizes.filter((s) => page.find('streamkit', 'zone-5m', s) && page.find('flink-p1', 'zone-5m', s));
  if (sizes.length === 0) return ['No zone-5m run with both streamkit and Flink p1 in this results file: no headline.'];
  const size = sizes[sizes.length - 1];
  const sk = page.find('streamkit', 'zone-5m', size)!;
  const fl = page.find('flink-p1', 'zone-5m', size)!;
  const lines: string[] = [];
  const missing10M = size < 10_000_000 ? ` (10M was not measured in this run, so the headline is at ${sizeLabel(size)})` : '';
  if (sk.steadyEventsPerSecond && fl.steadyEventsPerSecond) {
    lines.push(
      `**zone-5m, ${int(size)} events, on time, default configurations${missing10M}: streamkit ${rate(sk.steadyEventsPerSecond)}, ` +
        `Flink p1 ${rate(fl.steadyEventsPerSecond)} in steady state: ${ratio(sk.steadyEventsPerSecond, fl.steadyEventsPerSecond)}** ` +
        `(median of ${sk.runs?.length ?? 1} interleaved runs each; steady state = input events read after the first result ÷ seconds from the first result to the last).`,
    );
    const runs = [...(sk.runs ?? []), ...(fl.runs ?? [])];
    const cores = page.results.machine.cores;
    if (machineWasBusy(runs, cores)) {
      const loads = runs.map((s) => s.loadAverage.start);
      lines.push(
        '',
        `**Provisional**: these runs shared the machine with other work (median load average ${median(loads).toFixed(1)} on ${cores} cores at their start), which depresses and scatters every wall-clock figure, Flink's multi-threaded start-up most. Quote CPU-seconds and output equality from this run, rates only from a run on a quiet machine.`,
      );
    }
  }
  const cmp = sk.runs?.map((r) => r.comparison).filter((c) => c !== undefined) ?? [];
  const equal = sk.outputEqual === true;
  lines.push(
    '',
    `Outputs: ${equal ? `equal row by row, to the cent, in all ${cmp.length} runs` : cmp.length === 0 ? 'not compared' : `${int(cmp[cmp.length - 1]!.differences)} of ${int(cmp[cmp.length - 1]!.referenceRows)} rows differ (explained under "Late records and output equality")`}. ` +
      `Start-up (process start → first result) ${orDash(sk.startupMs, duration)} for streamkit, ${orDash(fl.startupMs, duration)} for Flink. ` +
      `CPU ${orDash(sk.cpuSeconds, (c) => `${(c / (size / 1e6)).toFixed(1)}`)} vs ${orDash(fl.cpuSeconds, (c) => `${(c / (size / 1e6)).toFixed(1)}`)} CPU-seconds per million events; ` +
      `peak RSS ${orDash(sk.peakRssMb, megabytes)} vs ${orDash(fl.peakRssMb, megabytes)}.`,
  );
  return lines;
}

/** Busy for wall-clock purposes: other work kept a quarter of a core or more busy during the median
 * run. The load average at a run's start is only the fallback: it still counts the previous run's
 * own threads (a Flink run keeps about 1.7 cores busy) for a minute after that run ended. */
function machineWasBusy(samples: RunSample[], cores: number): boolean {
  const others = samples.map((s) => s.otherCores).filter((x): x is number => x !== null);
  if (others.length > 0) return median(others) >= 0.25;
  const loads = samples.map((s) => s.loadAverage.start);
  return loads.length > 0 && median(loads) > cores;
}

function conditions(page: Page): string[] {
  const { results } = page;
  const m = results.machine;
  const samples = page.allSamples();
  const loads = samples.map((s) => s.loadAverage.start);
  const others = samples.map((s) => s.otherCores).filter((x): x is number => x !== null);
  const lines = [
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ${m.java ?? 'no Java'}, Flink ${m.flink ?? 'not installed'}. ` +
      `Run started ${results.date}, finished ${results.finished}.`,
    '',
  ];
  if (loads.length > 0) {
    lines.push(
      `Load: the 1-minute load average at the start of each run was ${Math.min(...loads)} to ${Math.max(...loads)} (median ${median(loads).toFixed(1)}) on ${m.cores} cores, a figure that still counts the previous run's own threads for about a minute` +
        (others.length > 0
          ? `, and everything else on the machine kept a median ${median(others).toFixed(2)} cores busy during a run (all CPU time the kernel counted minus the run's own). `
          : '. ') +
        (machineWasBusy(samples, m.cores)
          ? '**The machine was shared and busy: wall-clock rates and start-up times are depressed and noisy, the ratios between engines less so, CPU-seconds least.** ' +
            'The per-run table at the end gives every run with its load.'
          : 'The machine was quiet enough for wall-clock rates to mean what they say.'),
    );
  }
  const parts = results.config.parts ?? [];
  if (parts.length > 0) {
    lines.push('', 'The results were measured in these parts (each a run of `npm run bench:e2e`):', '');
    lines.push(
      ...table(
        ['part', 'started', 'sizes', 'jobs', 'engines', 'runs each'],
        parts.map((p, i) => [
          String(i + 1),
          p.date,
          p.sizes.map(sizeLabel).join(', '),
          p.jobs.join(', '),
          p.engines.join(', '),
          String(p.runs),
        ]),
      ),
    );
  }
  return lines;
}

function chart(page: Page): string {
  const groups = page.groups();
  const byLabel = new Map(groups.map((g) => [g.label, g]));
  const get = (label: string, engine: string, f: (r: RunRecord) => number | null) => {
    const g = byLabel.get(label)!;
    const r = page.find(engine, g.job, g.size);
    return r ? f(r) : null;
  };
  return chartSvg({
    groups: groups.map((g) => g.label),
    series: page.engines.map((e) => ({ name: e, color: COLORS[e] ?? '#6b7280' })),
    panels: [
      {
        title: 'Steady state: input events read after the first result ÷ seconds after it (median)',
        format: (v) => rate(v),
        value: (g, e) => get(g, e, (r) => r.steadyEventsPerSecond),
      },
      {
        title: 'Start-up: process start (JVM start for Flink) → first result (median)',
        format: (v) => (v === 0 ? '0 s' : duration(v)),
        value: (g, e) => get(g, e, (r) => r.startupMs),
      },
      {
        title: 'CPU: seconds of CPU (user + system, all threads, start-up included) per million input events',
        format: (v) => `${compact(v)} CPU-s`,
        value: (g, e) => get(g, e, (r) => (r.cpuSeconds === null ? null : r.cpuSeconds / (r.size / 1e6))),
      },
      {
        title: 'Memory: peak resident set size of the process (largest of the runs)',
        format: (v) => (v === 0 ? '0 MB' : megabytes(v)),
        value: (g, e) => get(g, e, (r) => r.peakRssMb),
      },
    ],
    note: `Measured ${page.results.date} on a shared ${page.results.machine.cores}-core machine; see docs/benchmarks.md for the load during each run.`,
  });
}

function steadyTable(page: Page): string[] {
  const engines = page.engines;
  const rows = page.groups().map(({ job, size }) => {
    const sk = page.find('streamkit', job, size);
    const fl1 = page.find('flink-p1', job, size);
    const fl2 = page.find('flink-p2', job, size);
    const cell = (e: string) => orDash(page.find(e, job, size)?.steadyEventsPerSecond, rate);
    const r = (o?: RunRecord) =>
      sk?.steadyEventsPerSecond && o?.steadyEventsPerSecond ? ratio(sk.steadyEventsPerSecond, o.steadyEventsPerSecond) : dash;
    return [job === 'zone-5m-late' ? `${job} (late-heavy, secondary)` : job, sizeLabel(size), ...engines.map(cell), r(fl1), r(fl2)];
  });
  return table(['job', 'size', ...engines, 'streamkit ÷ flink-p1', 'streamkit ÷ flink-p2'], rows);
}

function slopeTable(page: Page): string[] {
  const rows: string[][] = [];
  for (const job of page.jobs) {
    const sizes = page.sizes.filter((s) => page.find('streamkit', job, s));
    if (sizes.length < 2) continue;
    const [a, b] = [sizes[sizes.length - 2], sizes[sizes.length - 1]];
    const slope = (e: string) => {
      const x = page.find(e, job, a);
      const y = page.find(e, job, b);
      if (!x || !y || y.wallMs <= x.wallMs) return null;
      return ((b - a) * 1000) / (y.wallMs - x.wallMs);
    };
    rows.push([job, `${sizeLabel(a)} → ${sizeLabel(b)}`, ...page.engines.map((e) => orDash(slope(e), rate))]);
  }
  if (rows.length === 0) return [];
  return [
    '### Cross-check: the slope between two sizes',
    '',
    'The extra events of the larger input ÷ the extra wall time they took (medians). What both sizes pay once, start-up and the final flush, cancels out; the noise of both runs does not.',
    '',
    ...table(['job', 'sizes', ...page.engines], rows),
    '',
  ];
}

function startupTable(page: Page): string[] {
  const rows = page.groups().map(({ job, size }) => [
    job,
    sizeLabel(size),
    ...page.engines.map((e) => {
      const r = page.find(e, job, size);
      if (!r || r.startupMs === null) return dash;
      const first = r.runs?.map((s) => s.recordsAtFirstResult).filter((x): x is number => x !== null) ?? [];
      const n = first.length > 0 ? median(first) : null;
      return `${duration(r.startupMs)}${n === null ? '' : ` (after ${compact(n)} input event${n === 1 ? '' : 's'})`}`;
    }),
  ]);
  return table(['job', 'size', ...page.engines], rows);
}

function resourceTable(page: Page): string[] {
  const rows = page.groups().map(({ job, size }) => [
    job,
    sizeLabel(size),
    ...page.engines.map((e) => {
      const r = page.find(e, job, size);
      if (!r) return dash;
      const cpu = r.cpuSeconds === null ? dash : `${(r.cpuSeconds / (size / 1e6)).toFixed(1)} CPU-s`;
      return `${cpu}, ${orDash(r.peakRssMb, megabytes)}`;
    }),
  ]);
  return table(['job', 'size', ...page.engines.map((e) => `${e}: CPU per M events, peak RSS`)], rows);
}

/** What a windowed job's records became, by the engine's own count. */
function windowedRecords(r: RunRecord): number | null {
  const d = r.detail ?? {};
  const n = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null);
  if (ENGINES[r.engine]?.kind === 'flink') return n('windowInputRecords');
  if (ENGINES[r.engine]?.kind === 'ceiling') return n('silverRecords');
  const records = n('records');
  if (records === null) return null;
  return records - (n('filtered') ?? 0) - (n('deadLetters') ?? 0) - (n('duplicates') ?? 0);
}

/** What the strict variants (a watermark after every record in both engines) showed for this job and size. */
function strictNote(page: Page, job: JobName, size: number): string {
  const strict = page.find('streamkit-strict', job, size);
  const cmp = strict?.runs?.map((r) => r.comparison).filter((c) => c !== undefined) ?? [];
  if (!strict || cmp.length === 0 || cmp[0]!.reference !== 'flink-p1-strict')
    return '(The strict variants were not run for this job and size.)';
  return strict.outputEqual
    ? `With a watermark after every record in both engines (streamkit-strict, flink-p1-strict) the outputs are equal row for row in all ${cmp.length} runs.`
    : `With a watermark after every record in both engines the outputs still differ (${int(cmp[cmp.length - 1]!.differences)} rows): look at those runs.`;
}

/** Why two outputs differ, from the counts: every claim in it is checked against the numbers. */
function differenceNote(
  page: Page,
  job: JobName,
  size: number,
  engine: string,
  cmp: NonNullable<RunSample['comparison']>,
  late: number | null,
  windowed: number | null,
): string {
  const ref = page.find(cmp.reference, job, size);
  const refLate = ref?.lateRecords ?? null;
  const refWindowed = ref ? windowedRecords(ref) : null;
  const head = `- ${job} ${sizeLabel(size)}, ${engine} vs ${cmp.reference}: ${int(cmp.differences)} rows differ; records that reached the windows ${orDash(windowed, int)} vs ${orDash(refWindowed, int)}, late ${orDash(late, int)} vs ${orDash(refLate, int)}, trips in all rows ${int(cmp.trips)} vs ${int(cmp.referenceTrips)}.`;
  if (JOB_SPECS[job].query === 'sessions') {
    return (
      `${head} In sessions a late record that touches a session that has fired merges with it in streamkit, which emits the larger session as a further result (docs/semantics.md); ` +
      'Flink SQL drops such a record as late before merging. The engines also advance the watermark at different moments (streamkit after each batch, Flink SQL after most records), so which records arrive after their session fired differs as well.'
    );
  }
  if (cmp.valuesDiffer > 0) {
    return `${head} **${int(cmp.valuesDiffer)} rows have equal trip counts but different sums: the engines computed different numbers from the same records.**`;
  }
  const balanced =
    late !== null &&
    refLate !== null &&
    windowed !== null &&
    refWindowed !== null &&
    cmp.trips === windowed - late &&
    cmp.referenceTrips === refWindowed - refLate;
  if (!balanced) return `${head} The counts do not balance (trips ≠ records that reached the windows − late records): look at this run.`;
  const lateDelta = late! - refLate!;
  const parts = [
    `${head} No row with equal trips has other sums, and in both engines the trips in the output are exactly the records that reached the windows minus the late ones: nothing is lost or counted twice; the rows differ only in which records reached them.`,
  ];
  if (lateDelta !== 0) {
    parts.push(
      `${engine} dropped ${int(Math.abs(lateDelta))} ${lateDelta < 0 ? 'fewer' : 'more'} records as late. A record is late when its window has fired before it arrives, and the engines advance the watermark at different moments ` +
        '(streamkit after each batch; Flink SQL after a record that moves it by more than the watermark interval, or on its 200 ms timer), so a record that arrives just as its window fires can be on time in one engine and late in the other. ' +
        strictNote(page, job, size),
    );
  }
  if (windowed !== refWindowed) {
    parts.push(
      `${int(Math.abs(windowed! - refWindowed!))} ${windowed! > refWindowed! ? 'more' : 'fewer'} records reached ${engine}'s windows: duplicates one dedup dropped and the other let through ` +
        "(streamkit's dedup remembers a trip id until the watermark is 1 h past the trip's event time; Flink SQL's keeps it for 1 h of processing time, which is the whole run).",
    );
  }
  return parts.join(' ');
}

function lateTable(page: Page): string[] {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const { job, size } of page.groups()) {
    if (JOB_SPECS[job].query === 'silver') continue;
    for (const e of [...page.engines, 'ceiling']) {
      const r = page.find(e, job, size);
      if (!r) continue;
      const windowed = windowedRecords(r);
      const late = r.lateRecords;
      const onTime = late !== null && windowed ? `${(100 * (1 - late / windowed)).toFixed(2)} %` : dash;
      const cmp = r.runs?.map((s) => s.comparison).filter((c) => c !== undefined) ?? [];
      const last = cmp[cmp.length - 1];
      let output = dash;
      if (last) {
        const differing = cmp.filter((c) => !c!.equal).length;
        output = last.equal
          ? `equal to ${last.reference} in ${cmp.length} of ${cmp.length} runs`
          : `${int(last.differences)} of ${int(last.referenceRows)} rows differ from ${last.reference} (${differing} of ${cmp.length} runs differ): ` +
            `${int(last.onlyHere)} only here, ${int(last.onlyInReference)} only there, ${int(last.tripsDiffer)} with other trip counts, ${int(last.valuesDiffer)} with equal trips but other sums; ` +
            `trips in all rows ${int(last.trips)} vs ${int(last.referenceTrips)}`;
        // One note per pair: flink-p1's own comparison with streamkit says the same again.
        if (!last.equal && !(e === 'flink-p1' && last.reference === 'streamkit'))
          notes.push(differenceNote(page, job, size, e, last, late, windowed));
      }
      rows.push([job, sizeLabel(size), e, orDash(windowed, int), orDash(late, int), onTime, output]);
    }
  }
  return [
    ...table(
      ['job', 'size', 'engine', 'records that reached the windows', 'late records', 'on time', 'output vs reference (last run)'],
      rows,
    ),
    '',
    ...(notes.length > 0 ? ['Why outputs differ, where they do:', '', ...notes, ''] : []),
  ];
}

function latencySection(page: Page): string[] {
  const r = page.runs.findLast((x) => x.job === 'latency');
  if (!r) return ['Not measured in this run.', ''];
  const d = (r.detail ?? {}) as { pace?: number; latency?: { samples: number }; source?: { maxBehindMs: number } };
  const lines = [
    `streamkit zone-5m (2h1m watermark delay, default batch size), in one process, fed by a paced source at ${int(d.pace ?? 0)} events/s: ` +
      `the first ${int(r.size)} input lines arrive at that fixed rate, and each poll hands out the records that have arrived. ` +
      "Latency of a window result = the time it left the sink (after its line was written) − the scheduled arrival of the record that moved the watermark past the window's end. " +
      `Median over ${r.runs?.length ?? 1} run${(r.runs?.length ?? 1) === 1 ? '' : 's'} of each run's percentile:`,
    '',
    ...table(
      [
        'p50',
        'p99',
        'window results measured (last run)',
        'source behind schedule, at most (last run)',
        'load average at start of each run',
      ],
      [
        [
          orDash(r.latencyP50Ms, (v) => `${v.toFixed(1)} ms`),
          orDash(r.latencyP99Ms, (v) => `${v.toFixed(1)} ms`),
          orDash(d.latency?.samples, int),
          orDash(d.source?.maxBehindMs, (v) => `${v.toFixed(1)} ms`),
          (r.runs ?? []).map((s) => String(s.loadAverage.start)).join(', '),
        ],
      ],
    ),
    '',
  ];
  if ((d.source?.maxBehindMs ?? 0) > 100) {
    lines.push(
      `The source fell up to ${duration(d.source!.maxBehindMs)} behind its schedule: the process did not get the CPU to keep up with ${int(d.pace ?? 0)} events/s on the shared machine, so records queued and these latencies measure that queue, not the pipeline below saturation.`,
      '',
    );
  }
  return lines;
}

function ceilingSection(page: Page): string[] {
  const rows: string[][] = [];
  for (const size of page.sizes) {
    const sk = page.find('streamkit', 'zone-5m', size);
    const ceiling = page.find('ceiling', 'zone-5m', size);
    const parse = page.find('json-parse', 'parse', size);
    if (!ceiling && !parse) continue;
    rows.push([
      sizeLabel(size),
      orDash(sk?.steadyEventsPerSecond, rate),
      orDash(ceiling?.eventsPerSecond, rate),
      sk?.steadyEventsPerSecond && ceiling ? ratio(sk.steadyEventsPerSecond, ceiling.eventsPerSecond) : dash,
      orDash(parse?.eventsPerSecond, rate),
      sk?.steadyEventsPerSecond && parse ? ratio(sk.steadyEventsPerSecond, parse.eventsPerSecond) : dash,
    ]);
  }
  if (rows.length === 0) return ['Not measured in this run.', ''];
  return [
    'Two loops with no framework, each timed over its loop only (no start-up, no file reading in the ceiling): the zone-5m arithmetic over records parsed beforehand (a Map per open window, a watermark per record, each window evicted once the watermark passes it), and `JSON.parse` of every line. They bound what one JavaScript core can do with this input.',
    '',
    ...table(
      [
        'size',
        'streamkit zone-5m (steady)',
        'plain loop over pre-parsed records',
        'streamkit ÷ loop',
        'bare JSON.parse loop',
        'streamkit ÷ JSON.parse',
      ],
      rows,
    ),
    '',
  ];
}

/** Outputs equal, or differing only in which records each engine found late (no row with equal trips and other sums). */
function outputVerdict(sk: RunRecord): string {
  if (sk.outputEqual) return 'met';
  const last = (sk.runs ?? [])
    .map((r) => r.comparison)
    .filter((c) => c !== undefined)
    .pop();
  return last && last.valuesDiffer === 0
    ? 'met: the rows that differ differ only in which records arrived after their window fired (see "Late records and output equality")'
    : 'missed';
}

function targets(page: Page): string[] {
  const largest = page.sizes[page.sizes.length - 1];
  const rows: string[][] = [];
  for (const job of page.jobs.filter((j) => j !== 'zone-5m-late')) {
    const sizes = page.sizes.filter((s) => page.find('streamkit', job, s) && page.find('flink-p1', job, s));
    const size = sizes[sizes.length - 1];
    if (size === undefined) {
      rows.push([`${job}: steady state ≥ 1.5× Flink p1 at 10M, outputs equal`, 'not measured', dash]);
      continue;
    }
    const sk = page.find('streamkit', job, size)!;
    const fl = page.find('flink-p1', job, size)!;
    const r = sk.steadyEventsPerSecond && fl.steadyEventsPerSecond ? sk.steadyEventsPerSecond / fl.steadyEventsPerSecond : null;
    rows.push([
      `${job}: steady state ≥ 1.5× Flink p1 at 10M, outputs equal`,
      `${r === null ? dash : `${r.toFixed(2)}×`} at ${sizeLabel(size)}; outputs ${sk.outputEqual ? 'equal' : sk.outputEqual === false ? 'differ' : 'not compared'}`,
      r === null ? dash : size < 10_000_000 ? 'not measured at 10M' : r < 1.5 ? 'missed' : outputVerdict(sk),
    ]);
  }
  const sk = page.find('streamkit', 'zone-5m', largest);
  const parse = page.find('json-parse', 'parse', largest);
  rows.push([
    'zone-5m steady state ≥ 50 % of the bare JSON.parse loop',
    sk?.steadyEventsPerSecond && parse
      ? `${((100 * sk.steadyEventsPerSecond) / parse.eventsPerSecond).toFixed(0)} % at ${sizeLabel(largest)}`
      : 'not measured',
    sk?.steadyEventsPerSecond && parse ? (sk.steadyEventsPerSecond >= parse.eventsPerSecond / 2 ? 'met' : 'missed') : dash,
  ]);
  const rss = page.sizes.map((s) => page.find('streamkit', 'zone-5m', s)?.peakRssMb).filter((x): x is number => typeof x === 'number');
  rows.push([
    'zone-5m peak RSS ≤ 128 MB at 10M, flat from 1M',
    rss.length > 0
      ? page.sizes.map((s) => `${sizeLabel(s)}: ${orDash(page.find('streamkit', 'zone-5m', s)?.peakRssMb, megabytes)}`).join(', ')
      : 'not measured',
    rss.length === 0 ? dash : Math.max(...rss) <= 128 ? (largest >= 10_000_000 ? 'met' : 'not measured at 10M') : 'missed',
  ]);
  const lat = page.runs.findLast((r) => r.job === 'latency');
  rows.push([
    'window-result latency p99 < 50 ms below saturation',
    orDash(lat?.latencyP99Ms, (v) => `${v.toFixed(1)} ms`),
    lat?.latencyP99Ms === null || lat?.latencyP99Ms === undefined
      ? dash
      : ((lat.detail as { source?: { maxBehindMs: number } } | undefined)?.source?.maxBehindMs ?? 0) > 100
        ? 'not measured below saturation: the source fell behind'
        : lat.latencyP99Ms < 50
          ? 'met'
          : 'missed',
  ]);
  return table(['target', 'measured', 'verdict'], rows);
}

function perRunTable(page: Page): string[] {
  const rows: string[][] = [];
  for (const r of page.runs) {
    for (const s of r.runs ?? []) {
      rows.push([
        r.job,
        sizeLabel(r.size),
        r.engine,
        String(s.round),
        orDash(s.steadyEventsPerSecond, int),
        int(s.eventsPerSecond),
        orDash(s.startupMs, int),
        int(s.wallMs),
        orDash(s.cpuSeconds, (c) => c.toFixed(1)),
        orDash(s.peakRssMb, (m) => m.toFixed(0)),
        orDash(s.lateRecords, int),
        s.comparison ? (s.comparison.equal ? 'equal' : `${int(s.comparison.differences)} differ`) : dash,
        `${s.loadAverage.start} → ${s.loadAverage.end}`,
        orDash(s.otherCores, (c) => c.toFixed(2)),
      ]);
    }
  }
  return [
    '<details><summary>Every run, in the order of the results file (runs of one job and size ran interleaved)</summary>',
    '',
    ...table(
      [
        'job',
        'size',
        'engine',
        'run',
        'steady events/s',
        'events/s over wall (loops: over the timed loop)',
        'first result ms',
        'wall ms',
        'CPU s',
        'peak RSS MB',
        'late',
        'output',
        'load average start → end',
        'other cores busy',
      ],
      rows,
    ),
    '',
    '</details>',
    '',
  ];
}

function microSection(): string[] {
  const file = join(ROOT, 'bench', 'results', 'micro-latest.json');
  if (!existsSync(file)) return [];
  const micro = JSON.parse(readFileSync(file, 'utf8')) as MicroResults;
  const time = (ms: number) =>
    ms < 0.001 ? `${(ms * 1e6).toFixed(1)} ns` : ms < 1 ? `${(ms * 1000).toFixed(2)} µs` : `${ms.toFixed(1)} ms`;
  const rows = micro.results.map((r) => [
    escapeMd(r.name),
    time(r.medianMs),
    `±${r.rmePercent.toFixed(1)} %`,
    r.recordsPerOp === undefined ? dash : int(r.recordsPerOp),
    r.recordsPerOp === undefined ? dash : time(r.medianMs / r.recordsPerOp),
    r.note ? escapeMd(r.note) : '',
  ]);
  return [
    '## Microbenchmarks (`npm run bench`)',
    '',
    `tinybench, ${micro.date}, ${micro.totalSeconds} s in all, on the same shared machine. Median time of one operation; rme is the relative margin of error of the mean. Where an operation handles many records, the time per record is the operation's time divided by them: a cost paid per batch (the channel hand-off) shrinks per record as batches grow, and that is all the per-record figure says.`,
    '',
    ...table(['benchmark', 'median time per operation', 'rme', 'records per operation', 'time per record', 'what it measures'], rows),
    '',
  ];
}

/** The hand-off between threads, when bench/exchange.bench.ts has run. */
function exchangeResultsSection(): string[] {
  const file = join(ROOT, 'bench', 'results', 'exchange-latest.json');
  return existsSync(file) ? exchangeSection(JSON.parse(readFileSync(file, 'utf8')) as ExchangeResults) : [];
}

function profileSection(): string[] {
  const file = join(ROOT, 'bench', 'results', 'profile-latest.json');
  if (!existsSync(file)) return [];
  const entries = (JSON.parse(readFileSync(file, 'utf8')) as ProfileEntry[]).filter(
    (e) => e.watermarkDelayMs === JOB_SPECS[e.job ?? 'zone-5m'].watermarkDelayMs,
  );
  if (entries.length === 0) return [];
  const lines = [
    '## Where the time goes',
    '',
    'Self time from `node --cpu-prof` of one streamkit run per job (`tsx bench/e2e/profile.ts --job NAME --input FILE`), by source module and by function, start-up included.',
    '',
  ];
  for (const e of entries) {
    lines.push(
      `### ${e.job ?? 'zone-5m'}, ${e.batchSize === 0 ? 'default batch size' : `${int(e.batchSize)} records per batch`}: the generated input ${e.input.split('/').pop()}, ${int(e.totalMs)} ms of samples`,
      '',
    );
    const n = Math.max(e.modules.length, e.functions.length);
    const rows: string[][] = [];
    for (let i = 0; i < n; i++) {
      const m = e.modules[i];
      const f = e.functions[i];
      rows.push([m ? escapeMd(m.name) : '', m ? `${m.percent} %` : '', f ? escapeMd(f.name) : '', f ? `${f.percent} %` : '']);
    }
    lines.push(...table(['module', 'self time', 'function', 'self time'], rows), '');
  }
  return lines;
}

/** The start-up and memory figures, measured apart from the matrix (see the file) and kept as written. */
function startupAndMemorySection(): string[] {
  const file = join(ROOT, 'bench', 'results', 'startup-and-memory.md');
  return existsSync(file) ? [readFileSync(file, 'utf8').trimEnd(), ''] : [];
}

/**
 * The state-scale section as `npm run bench:state` wrote it, with its tables; before any such run,
 * its methodology alone.
 */
function stateScaleSection(): string[] {
  const file = join(ROOT, 'bench', 'results', 'state-scale.md');
  if (existsSync(file)) return [readFileSync(file, 'utf8').trimEnd(), ''];
  return ['## State larger than memory', '', ...STATE_SCALE_METHOD, ''];
}

function methodNotes(): string[] {
  return [
    '## How it is measured',
    '',
    "- **Input**: the taxi generator (`examples/taxi/generator.ts`, seed 1) written once as JSONL (a cache the harness creates, not part of the repository): 1M, 5M or 10M trips spread over January 2024 in arrival order (a trip is sent when it ends, plus network delay; store-and-forward trips arrive minutes to days late). The dedup input has 5 % of trips delivered twice. Every engine reads the same file; it is read once before a job's runs so every run finds it in the page cache.",
    `- **Jobs** (streamkit: \`bench/e2e/streamkit-job.ts\`, public API plus the taxi example's Bronze and Silver rules; Flink: \`bench/flink/sql/*.sql\`): ${(Object.keys(JOB_SPECS) as JobName[]).map((j) => `**${j}** ${JOB_SPECS[j].summary}`).join('; ')}.`,
    "- **On time**: the main jobs' watermark delay is 2h1m, the generator's disorder bound (`TRIP_DISORDER_BOUND_MS`): every trip except a delayed store-and-forward one arrives before the watermark passes its window, so the aggregation path is the one timed. `zone-5m-late` keeps a 30 s delay, under which most records are late and dropped: it times the late path and is shown as a secondary job.",
    "- **Configurations**: each engine as its users run it. streamkit: default batch size (1,024 records per batch from the file source, a watermark after each batch), in-memory state, no checkpoints. Flink: SQL on a local mini-cluster in one JVM (`-Xmx2g`, class-data-sharing archive), the standard `json` format of the filesystem connector, the default watermark interval (200 ms), no checkpoints, the planner's default two-phase window aggregation. The strict variants emit a watermark after every record in both engines (`streamkit-strict`: one record per batch; `flink-p1-strict`: `pipeline.auto-watermark-interval = 0`), which fixes exactly which records are late, so their outputs must be equal row for row.",
    '- **Order**: for each size and job, the engines run one after another, then again, for the number of runs (A run 1, B run 1, A run 2, …); every run is a fresh process. Figures are medians over the runs; peak RSS is the largest.',
    "- **Start-up**: process start (for Flink the JVM's start time) to the first result reaching the sink, which includes filling the first window: with a 2h1m delay the first zone-5m window fires after about two hours of event time has been read.",
    "- **Steady state**: the input events read after the first result (streamkit: lines its source had parsed when the first result reached the sink; Flink: its source operator's `numRecordsOut` at that moment) ÷ the seconds from the first result to the last. Events/s over the whole wall time is kept in the results file (`eventsPerSecond`) and the per-run table; at small sizes it measures start-up.",
    '- **CPU and memory**: user + system CPU seconds and the peak RSS of the process from `/usr/bin/time` (for Flink the JVM, which `bench/flink/run` execs).',
    "- **Output**: each engine writes every result row to a file as it arrives and keeps none in memory (the Flink runner likewise), so peak RSS is the engine's. After each round the harness compares each output with its reference engine's, row by row, keyed by window and key: trip counts exactly, sums to the cent, averages within half a cent (an average can sit on a half cent, where the last bit of a double decides the rounding). silver compares its row count.",
    '- **Late records**: streamkit counts its own (`RunSummary.late`). Flink SQL splits a window aggregation in a local phase that pre-aggregates every record and a global phase that drops late partial aggregates, so its `numLateRecordsDropped` counts partial aggregates; its late records are taken as the records its window aggregation received (`numRecordsIn` of the local phase) minus the trips in its output rows. For streamkit the harness checks that every record read is accounted for: filtered + dead letters + duplicates + late + trips in the output.',
    '- **parallelism**: the threads or task slots that process records. streamkit runs on one core (1); Flink p2 runs its aggregation on two task slots, but its file source reads the single file with one subtask (the local file system reports one block).',
    '- **Latency**: see the latency section; measured in process, not over Kafka.',
    '- **Runner**: the harness (`bench/e2e.ts`) bundles the streamkit job with tsup at the start of a run (dependencies stay external), so no run pays for compiling TypeScript; each run starts it with `node` and default flags.',
    '',
    '## Figures published elsewhere (not measured here)',
    '',
    'For orientation only: Docker stacks with Kafka, on other hardware, 10,000 events; not comparable with the runs above. Flink SQL 24 s processing, 18,586 events/s ingestion, 2,870 MB; Spark 24 s, 1,230 MB; RisingWave about 2 s, 449 MB with Redpanda; a DuckDB batch baseline 21 s for 2.96M rows.',
    '',
  ];
}

function main(): void {
  const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'latest.json'), 'utf8')) as Results;
  const page = new Page(results);
  writeFileSync(join(ROOT, 'docs', 'benchmarks.svg'), chart(page));
  const doc = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench:report` from bench/results/latest.json; do not edit by hand. -->',
    '',
    'streamkit and Apache Flink run the same jobs over the same generated taxi input, one after the other on one machine, each in the configuration its users run. ' +
      "Every figure below says what it measures. Start-up is reported apart from steady state: a rate over the whole wall time mostly measures a JVM's start at small sizes.",
    '',
    ...headline(page),
    '',
    '## Conditions',
    '',
    ...conditions(page),
    '',
    '![Steady-state events per second, start-up, CPU per million events and peak RSS per engine, job and input size](benchmarks.svg)',
    '',
    '## Steady state',
    '',
    'Input events read after the first result ÷ seconds from the first result to the last (median over the runs).',
    '',
    ...steadyTable(page),
    '',
    ...slopeTable(page),
    '## Start-up',
    '',
    'Process start (JVM start for Flink) → the first result reaching the sink, median; in brackets, the input events read by then (the first window fires only after its watermark delay of event time has been read).',
    '',
    ...startupTable(page),
    '',
    '## CPU and memory',
    '',
    'CPU-seconds (user + system, all threads, start-up included) per million input events, median; peak resident set size of the process, largest over the runs.',
    '',
    ...resourceTable(page),
    '',
    '## Late records and output equality',
    '',
    "Records that reached the window aggregation (after the Silver filter and, in dedup, after deduplication), the records each engine dropped as late, and the output compared with the reference engine's output of the same run.",
    '',
    ...lateTable(page),
    '## Latency',
    '',
    ...latencySection(page),
    '## The ceilings of one JavaScript core',
    '',
    ...ceilingSection(page),
    '## Targets',
    '',
    ...targets(page),
    '',
    '## Every run',
    '',
    ...perRunTable(page),
    ...microSection(),
    ...exchangeResultsSection(),
    ...profileSection(),
    ...startupAndMemorySection(),
    ...stateScaleSection(),
    ...methodNotes(),
  ].join('\n');
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), doc);
  console.log('wrote docs/benchmarks.md and docs/benchmarks.svg');
}

main();
