import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A crash-test job run in a child process (`node --import tsx <script> …args`). The jobs print one
 * line per event: `ready`, `restored <id>`, `checkpoint <id>`, then how they ended.
 */
export interface JobProcess {
  child: ChildProcess;
  /** Lines printed so far on stdout. */
  lines: string[];
  /** Resolves once a printed line satisfies `test` (or the process exited). */
  line(test: (line: string) => boolean): Promise<void>;
  /** Resolves once `n` checkpoints completed in this process (or it exited). */
  checkpoints(n: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts `script` with `args` in a child Node process. */
export function startJob(script: string, args: string[]): JobProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let exited = false;
  const waiters: Array<{ test: (lines: string[]) => boolean; resolve: () => void }> = [];
  const wake = () => {
    for (let i = waiters.length - 1; i >= 0; i--) if (exited || waiters[i].test(lines)) waiters.splice(i, 1)[0].resolve();
  };
  const until = (test: (lines: string[]) => boolean) =>
    new Promise<void>((resolve) => {
      waiters.push({ test, resolve });
      wake();
    });
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop()!;
    lines.push(...complete);
    wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    child,
    lines,
    line: (test) => until((all) => all.some(test)),
    checkpoints: (n) => until((all) => all.filter((l) => l.startsWith('checkpoint ')).length >= n),
    exited: new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        exited = true;
        wake();
        resolve({ code, signal, stderr });
      }),
    ),
  };
}

/** A small seeded generator (mulberry32), so inputs and kill moments are the same in every run of a test. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What {@link killUntilDone} saw. */
export interface KillsOutcome {
  kills: number;
  /** Runs that started from a checkpoint. */
  restores: number;
  /** The run that finished. */
  last: JobProcess;
}

/**
 * Starts the job again and again, SIGKILLing each run at a random moment, until `maxKills` kills;
 * then lets the last run finish. A moment is tied to progress, so the job neither finishes between
 * kills on a fast machine nor never reaches a checkpoint on a slow one: after 0, 1 or 2 checkpoints
 * of the run, plus 0–10 ms — while restoring, reading, checkpointing or writing results.
 * A run that ends on its own before the kill ends the loop too.
 * @throws Error when a run exits with a failure, or the job never finishes.
 */
export async function killUntilDone(start: () => JobProcess, options: { maxKills: number; seed: number }): Promise<KillsOutcome> {
  const rnd = seededRandom(options.seed);
  let kills = 0;
  let restores = 0;
  for (let attempt = 0; attempt < options.maxKills + 5; attempt++) {
    const run = start();
    await run.line((l) => l === 'ready');
    if (kills < options.maxKills) {
      await run.checkpoints(Math.floor(rnd() * 3));
      await new Promise((resolve) => setTimeout(resolve, Math.floor(rnd() * 10)));
      run.child.kill('SIGKILL');
    }
    const exit = await run.exited;
    if (run.lines.some((line) => line.startsWith('restored '))) restores++;
    if (exit.signal === 'SIGKILL') {
      kills++;
      continue;
    }
    if (exit.code !== 0) throw new Error(`the job failed (${JSON.stringify(exit)}):\n${run.lines.join('\n')}\n${exit.stderr}`);
    return { kills, restores, last: run };
  }
  throw new Error('the job never finished');
}
