import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one benchmark process printed and cost. */
export interface ProcessOutcome {
  /** The JSON result line the process printed last on stdout. */
  result: Record<string, unknown>;
  /** Peak resident set size from the OS, in MB (GNU time's maximum RSS, i.e. VmHWM). */
  peakRssMb: number | null;
  /** Wall time measured from outside, spawn to exit, in ms. */
  outerMs: number;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs a benchmark process and reads its JSON result line and peak RSS. The peak RSS comes from
 * `/usr/bin/time` (the kernel's high-water mark of the process, whatever language it runs), or,
 * without it, from polling `/proc/<pid>/status` VmHWM.
 * @param command - the executable.
 * @param args - its arguments.
 * @param timeoutMs - kills the process after this long.
 * @returns the parsed result line, peak RSS and outer wall time.
 * @example const { result } = await runBenchProcess('node', ['bench/ceiling.ts', '--mode', 'parse', '--input', f], 600_000);
 */
export async function runBenchProcess(command: string, args: string[], timeoutMs: number): Promise<ProcessOutcome> {
  const tmp = mkdtempSync(join(tmpdir(), 'streamkit-bench-'));
  const rssFile = join(tmp, 'rss');
  const useTime = existsSync(GNU_TIME);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let polledKb = 0;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
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
  try {
    if (code !== 0) {
      throw new Error(
        `${command} ${args.join(' ')} exited with ${code}${code === null ? ' (killed after the timeout)' : ''}\n${stderr.slice(-4000)}`,
      );
    }
    const lines = stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    if (lines.length === 0) throw new Error(`${command} ${args.join(' ')} printed no JSON result line\n${stderr.slice(-4000)}`);
    const result = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    let peakRssMb: number | null = null;
    if (useTime && existsSync(rssFile)) {
      const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
      if (Number.isFinite(kb) && kb > 0) peakRssMb = Math.round(kb / 102.4) / 10;
    } else if (polledKb > 0) {
      peakRssMb = Math.round(polledKb / 102.4) / 10;
    }
    return { result, peakRssMb, outerMs };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
