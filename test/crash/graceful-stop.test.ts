import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowResult } from '../../src/core/window.js';
import { readLevelTable } from '../../src/sinks/level-sink.js';
import { writeCrashInput } from './crash-input.js';
import { startJob } from './job-process.js';

const JOB = fileURLToPath(new URL('./graceful-stop-job.ts', import.meta.url));
const EVENTS = 20_000;
const STOPS = 3;

type Result = WindowResult<string, { n: number; total: number }>;

const start = (args: string[]) => startJob(JOB, args);

/** The id of the last checkpoint a run completed (`checkpoint <id>` lines), 0 for none. */
function lastCheckpoint(lines: string[]): number {
  const ids = lines.filter((l) => l.startsWith('checkpoint ')).map((l) => Number(l.split(' ')[1]));
  return ids.at(-1) ?? 0;
}

describe('graceful stop by process signal', () => {
  let root: string;
  let input: string;
  let expected: Map<string, Result>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-sigterm-'));
    input = join(root, 'input.jsonl');
    await writeCrashInput(input, EVENTS);
    const clean = start([input, join(root, 'clean-state'), join(root, 'clean-table')]);
    const exit = await clean.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(clean.lines.at(-1)).toBe(`done 0 ${EVENTS}`);
    expected = await readLevelTable<Result>(join(root, 'clean-table'));
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('SIGTERM mid-run ends the job with a final checkpoint; each restart reprocesses zero records and the table equals an uninterrupted run', async () => {
    const stateDir = join(root, 'state');
    const tableDir = join(root, 'table');
    let read = 0;
    let resumeFrom = 0;
    for (let stop = 0; stop < STOPS; stop++) {
      const run = start([input, stateDir, tableDir]);
      await run.line((l) => l.startsWith('checkpoint '));
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
      expect(run.lines).toContain('stopping SIGTERM');
      const [outcome, restoredFrom, records] = run.lines.at(-1)!.split(' ');
      expect(outcome, run.lines.join('\n')).toBe('stopped');
      // Each run starts from the checkpoint the stop before it took, and reads only what came after.
      expect(Number(restoredFrom)).toBe(resumeFrom);
      read += Number(records);
      resumeFrom = lastCheckpoint(run.lines);
      expect(resumeFrom).toBeGreaterThan(0);
    }
    expect(read).toBeLessThan(EVENTS);

    const last = start([input, stateDir, tableDir]);
    const exit = await last.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(last.lines).toContain(`restored ${resumeFrom}`);
    const [outcome, restoredFrom, records] = last.lines.at(-1)!.split(' ');
    expect([outcome, Number(restoredFrom)]).toEqual(['done', resumeFrom]);
    // Zero records were read twice over all the runs.
    expect(read + Number(records)).toBe(EVENTS);

    const actual = await readLevelTable<Result>(tableDir);
    expect(actual.size).toBeGreaterThan(500);
    expect(actual).toEqual(expected);
  }, 180_000);

  it('a second SIGINT while the stop waits on a sink abandons it: the job fails with STOPPED and the process exits; the restart resumes from the last checkpoint', async () => {
    const stateDir = join(root, 'state-forced');
    const tableDir = join(root, 'table-forced');
    const run = start([input, stateDir, tableDir, 'hang-on-stop']);
    await run.line((l) => l === 'checkpoint 2');
    run.child.kill('SIGINT');
    await run.line((l) => l === 'flush hangs');
    expect(run.lines).toContain('stopping SIGINT');
    // The final checkpoint's flush never returns; the second signal must not hang the process.
    run.child.kill('SIGINT');
    const exit = await run.exited;
    expect(exit, exit.stderr).toMatchObject({ code: 1, signal: null });
    const failed = run.lines.at(-1)!;
    const completed = lastCheckpoint(run.lines);
    expect(failed).toBe(
      `failed STOPPED stop forced by a second SIGINT while waiting for sink "hanging-table" to finish a flush; the next start resumes from checkpoint ${completed}`,
    );

    const rest = start([input, stateDir, tableDir]);
    const restExit = await rest.exited;
    expect(restExit.code, restExit.stderr).toBe(0);
    expect(rest.lines.at(-1)).toMatch(new RegExp(`^done ${completed} \\d+$`));
    expect(await readLevelTable<Result>(tableDir)).toEqual(expected);
  }, 120_000);
});
