import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one benchmark process printed and cost. */
export interface ProcessOutcome {
  /** The JSON result line the process printed last on stdout. */
  result: Record<string, unknown>;
  /** Peak resident set size from the OS, in MB (GNU time's maximum RSS, i.e. VmHWM). */
  peakRssMb: number | null;
  /** CPU seconds the process used, user plus system, all threads (GNU time's %U + %S). */
  cpuSeconds: number | null;
  /** Wall time measured from outside, spawn to exit, in ms. */
  outerMs: number;
  /** 1-minute load average when the process was started and when it ended. */
  loadAverage: { start: number; end: number };
  /**
   * Cores that everything else on the machine kept busy while the process ran: all CPU time the
   * kernel counted (`/proc/stat`) minus the process's own, over its wall time. The machine is
   * shared; this says how much.
   */
  otherCores: number | null;
}

/** Busy CPU seconds of the whole machine so far, from /proc/stat (null where there is none). */
function machineBusySeconds(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
    return busy / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

const GNU_TIME = '/usr/bin/time';

/** A benchmark process that failed (a non-zero exit, a kill, no result line), with what it cost until then. */
export class BenchProcessFailed extends Error {
  constructor(
    message: string,
    /** The end of what it wrote on stderr. */
    readonly stderrTail: string,
    /** Peak RSS until it ended, in MB, when known. */
    readonly peakRssMb: number | null,
    /** Wall time measured from outside, spawn to exit, in ms. */
    readonly outerMs: number,
  ) {
    super(message);
    this.name = 'BenchProcessFailed';
  }
}

/**
 * Runs a benchmark process and reads its JSON result line, peak RSS and CPU time. Both come from
 * `/usr/bin/time` (the kernel's high-water mark and CPU accounting of the process, whatever
 * language it runs); without it the peak RSS is polled from `/proc/<pid>/status` VmHWM and the CPU
 * time is not known.
 * @param command - the executable.
 * @param args - its arguments.
 * @param timeoutMs - kills the process after this long.
 * @param env - its environment (default: this process's).
 * @param onStderr - hears what the process writes on stderr as it comes (progress lines).
 * @returns the parsed result line, peak RSS, CPU seconds, outer wall time and how busy the machine was.
 * @example const { result } = await runBenchProcess('node', ['bench/ceiling.ts', '--mode', 'parse', '--input', f], 600_000);
 */
export async function runBenchProcess(
  command: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
  onStderr?: (text: string) => void,
): Promise<ProcessOutcome> {
  const tmp = mkdtempSync(join(tmpdir(), 'streamkit-bench-'));
  const rssFile = join(tmp, 'rss');
  const useTime = existsSync(GNU_TIME);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, command, ...args]] : [command, args];
  const loadAtStart = round2(loadavg()[0]);
  const busyAtStart = machineBusySeconds();
  const started = performance.now();
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  let polledKb = 0;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString('utf8');
    onStderr?.(text);
    stderr += text;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          // the process has exited between two polls
        }
      }, 50);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (poll) clearInterval(poll);
  const outerMs = performance.now() - started;
  const busyAtEnd = machineBusySeconds();
  const loadAverage = { start: loadAtStart, end: round2(loadavg()[0]) };
  try {
    let peakRssMb: number | null = null;
    let cpuSeconds: number | null = null;
    if (useTime && existsSync(rssFile)) {
      // GNU time writes "Command exited with non-zero status N" (or "terminated by signal") first.
      const [kb, user, system] = (readFileSync(rssFile, 'utf8').trim().split('\n').pop() as string).split(' ').map(Number);
      if (Number.isFinite(kb) && kb > 0) peakRssMb = Math.round(kb / 102.4) / 10;
      if (Number.isFinite(user) && Number.isFinite(system)) cpuSeconds = round2(user + system);
    } else if (polledKb > 0) {
      peakRssMb = Math.round(polledKb / 102.4) / 10;
    }
    const fail = (why: string) =>
      new BenchProcessFailed(`${command} ${args.join(' ')} ${why}\n${stderr.slice(-4000)}`, stderr.slice(-4000), peakRssMb, outerMs);
    if (code !== 0) throw fail(`exited with ${code}${code === null ? ' (killed after the timeout)' : ''}`);
    const lines = stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    if (lines.length === 0) throw fail('printed no JSON result line');
    const result = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    const otherCores =
      busyAtStart === null || busyAtEnd === null || cpuSeconds === null
        ? null
        : round2(Math.max(0, busyAtEnd - busyAtStart - cpuSeconds) / (outerMs / 1000));
    return { result, peakRssMb, cpuSeconds, outerMs, loadAverage, otherCores };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
