import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowResult } from '../../src/core/window.js';
import { readLevelTable } from '../../src/sinks/level-sink.js';
import { writeCrashInput } from './crash-input.js';

const JOB = fileURLToPath(new URL('./crash-job.ts', import.meta.url));
const EVENTS = 20_000;
const MAX_KILLS = 25;

interface Run {
  child: ChildProcess;
  output: string[];
  ready: Promise<void>;
  /** Resolves once `n` checkpoints completed in this process (or it exited). */
  checkpoints(n: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(input: string, stateDir: string, tableDir: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', JOB, input, stateDir, tableDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let stderr = '';
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let completed = 0;
  let exitedAlready = false;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const wake = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (exitedAlready || completed >= waiters[i].n) waiters.splice(i, 1)[0].resolve();
    }
  };
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      output.push(line);
      if (line === 'ready') markReady();
      if (line.startsWith('checkpoint ')) {
        completed++;
        wake();
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      markReady();
      exitedAlready = true;
      wake();
      if (code !== 0 && signal === null) output.push(`stderr: ${stderr}`);
      resolve({ code, signal });
    }),
  );
  const checkpoints = (n: number) =>
    new Promise<void>((resolve) => {
      waiters.push({ n, resolve });
      wake();
    });
  return { child, output, ready, checkpoints, exited };
}

/** A seeded generator, so the kill moments are the same in every run of the test. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('crash recovery', () => {
  let root: string;
  let input: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-crash-'));
    input = join(root, 'input.jsonl');
    await writeCrashInput(input, EVENTS);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('SIGKILLed at random moments and restarted, the job ends with the same result table as a clean run', async () => {
    const clean = start(input, join(root, 'clean-state'), join(root, 'clean-table'));
    expect(await clean.exited).toEqual({ code: 0, signal: null });
    expect(clean.output.at(-1)).toBe(`done 0 ${EVENTS}`);

    const stateDir = join(root, 'state');
    const tableDir = join(root, 'table');
    const rnd = random(2026);
    let kills = 0;
    let restores = 0;
    let finished = false;
    for (let attempt = 0; !finished; attempt++) {
      expect(attempt, 'the job never finished').toBeLessThan(MAX_KILLS + 5);
      const run = start(input, stateDir, tableDir);
      await run.ready;
      if (kills < MAX_KILLS) {
        // A random moment tied to progress, so the job neither finishes between kills on a fast
        // machine nor never reaches a checkpoint on a slow one: after 0, 1 or 2 checkpoints of this
        // process, plus 0–10 ms — while restoring, reading, checkpointing or writing results.
        await run.checkpoints(Math.floor(rnd() * 3));
        await new Promise((resolve) => setTimeout(resolve, Math.floor(rnd() * 10)));
        run.child.kill('SIGKILL');
      }
      const exit = await run.exited;
      if (run.output.some((line) => line.startsWith('restored '))) restores++;
      if (exit.signal === 'SIGKILL') {
        kills++;
        continue;
      }
      expect(exit, run.output.join('\n')).toEqual({ code: 0, signal: null });
      finished = true;
    }
    console.log(`crash test: ${kills} SIGKILLs, ${restores} restores from a checkpoint`);
    // The kills landed while there was work to lose, and restarts resumed from checkpoints.
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(restores).toBeGreaterThanOrEqual(4);

    const expected = await readLevelTable<WindowResult<string, { n: number; total: number }>>(join(root, 'clean-table'));
    const actual = await readLevelTable<WindowResult<string, { n: number; total: number }>>(tableDir);
    expect(expected.size).toBeGreaterThan(500);
    // The input has late records: late panes are part of what must survive the crashes.
    expect([...expected.values()].some((r) => r.pane.timing === 'late')).toBe(true);
    expect(actual.size).toBe(expected.size);
    expect(actual).toEqual(expected);
  }, 180_000);
});
