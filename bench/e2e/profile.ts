// Profiles one streamkit run of a benchmark job (default zone-5m, on time: the job's own watermark
// delay) with `node --cpu-prof` and sums self time per source module and per function:
// `tsx bench/e2e/profile.ts --input FILE [--job NAME] [--batch-size N]` (without it, streamkit's
// default batch size; recorded as 0). Runs the bundle that
// `npm run bench:e2e` builds (bench/.data/build/streamkit-job.mjs), so modules keep their names
// in the bundle's `// path` markers. Writes bench/results/profile-latest.json (appending one entry
// per batch size) and prints the top entries.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JOB_SPECS, type JobName } from './jobs.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUNDLE = join(ROOT, 'bench', '.data', 'build', 'streamkit-job.mjs');

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** One profiled run: shares of self time (percent) by module and by function. */
export interface ProfileEntry {
  /** The benchmark job; entries written before jobs were recorded are zone-5m's. */
  job?: JobName;
  input: string;
  /** Records per batch; 0 for streamkit's default. */
  batchSize: number;
  watermarkDelayMs: number;
  totalMs: number;
  result: Record<string, unknown>;
  modules: Array<{ name: string; percent: number }>;
  functions: Array<{ name: string; percent: number }>;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      input: { type: 'string' },
      job: { type: 'string', default: 'zone-5m' },
      'batch-size': { type: 'string' },
      top: { type: 'string', default: '15' },
    },
  });
  if (!values.input) throw new TypeError('--input FILE is required');
  if (!existsSync(BUNDLE)) throw new Error('bench/.data/build/streamkit-job.mjs is missing: run `npm run bench:e2e` once first');
  const job = values.job as JobName;
  if (!(job in JOB_SPECS)) throw new TypeError(`--job must be one of ${Object.keys(JOB_SPECS).join(', ')}, got ${job}`);
  const top = Number(values.top);
  const dir = mkdtempSync(join(tmpdir(), 'streamkit-prof-'));
  try {
    const run = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        BUNDLE,
        '--job',
        job,
        '--input',
        values.input,
        '--out',
        join(dir, 'out'),
        '--watermark-delay-ms',
        String(JOB_SPECS[job].watermarkDelayMs),
        ...(values['batch-size'] === undefined ? [] : ['--batch-size', values['batch-size']]),
      ],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`profiled run failed: ${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('node wrote no .cpuprofile');
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const markers = readFileSync(BUNDLE, 'utf8')
      .split('\n')
      .map((text, i) => ({ line: i + 1, text }))
      .filter((l) => /^\/\/ (src|bench|examples)\//.test(l.text))
      .map((l) => ({ line: l.line, name: l.text.slice(3) }));
    const moduleAt = (line: number) => {
      let name = '(bundle)';
      for (const m of markers) {
        if (m.line > line) break;
        name = m.name;
      }
      return name;
    };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const modules = new Map<string, number>();
    const functions = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      total += dt;
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      let module: string;
      if (url.endsWith('streamkit-job.mjs')) module = moduleAt(lineNumber + 1);
      else if (url === '') module = functionName || '(native)';
      else if (url.startsWith('node:')) module = 'node internals (module loading, streams, promises)';
      else module = `node_modules/${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? url}`;
      modules.set(module, (modules.get(module) ?? 0) + dt);
      const fn = `${functionName || '(anonymous)'} — ${module}`;
      functions.set(fn, (functions.get(fn) ?? 0) + dt);
    });
    const rank = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, t]) => ({ name, percent: Math.round((1000 * t) / total) / 10 }));
    const entry: ProfileEntry = {
      job,
      input: values.input.replace(ROOT + '/', ''),
      batchSize: values['batch-size'] === undefined ? 0 : Number(values['batch-size']),
      watermarkDelayMs: JOB_SPECS[job].watermarkDelayMs,
      totalMs: Math.round(total / 1000),
      result,
      modules: rank(modules),
      functions: rank(functions),
    };
    const out = join(ROOT, 'bench', 'results', 'profile-latest.json');
    const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as ProfileEntry[]) : [];
    writeFileSync(
      out,
      JSON.stringify([...previous.filter((p) => (p.job ?? 'zone-5m') !== job || p.batchSize !== entry.batchSize), entry], null, 2) + '\n',
    );
    console.log(`${job}, batch size ${entry.batchSize || 'default'}, ${entry.totalMs} ms profiled`);
    for (const m of entry.modules) console.log(`${m.percent.toFixed(1).padStart(5)} %  ${m.name}`);
    console.log('');
    for (const f of entry.functions) console.log(`${f.percent.toFixed(1).padStart(5)} %  ${f.name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
