import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowResult } from '../../src/core/window.js';
import { readLevelTable } from '../../src/sinks/level-sink.js';
import { writeCrashInput } from './crash-input.js';
import { killUntilDone, startJob } from './job-process.js';

const JOB = fileURLToPath(new URL('./crash-job.ts', import.meta.url));
const EVENTS = 20_000;
const MAX_KILLS = 25;

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

  /**
   * Runs the job clean with heap state, then kills it again and again with `config`'s state until
   * it finishes; the result tables must be equal.
   */
  async function killedEqualsClean(name: string, windows: string, memory?: string): Promise<void> {
    const clean = startJob(JOB, [input, join(root, `${name}-clean-state`), join(root, `${name}-clean-table`), windows]);
    expect(await clean.exited).toMatchObject({ code: 0, signal: null });
    expect(clean.lines.at(-1)).toBe(`done 0 ${EVENTS}`);

    const tableDir = join(root, `${name}-table`);
    const args = [input, join(root, `${name}-state`), tableDir, windows, ...(memory ? [memory] : [])];
    const { kills, restores } = await killUntilDone(() => startJob(JOB, args), { maxKills: MAX_KILLS, seed: 2026 });
    console.log(`crash test (${name}): ${kills} SIGKILLs, ${restores} restores from a checkpoint`);
    // The kills landed while there was work to lose, and restarts resumed from checkpoints.
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(restores).toBeGreaterThanOrEqual(4);

    const expected = await readLevelTable<WindowResult<string, { n: number; total: number }>>(join(root, `${name}-clean-table`));
    const actual = await readLevelTable<WindowResult<string, { n: number; total: number }>>(tableDir);
    expect(expected.size).toBeGreaterThan(500);
    // The input has late records: late panes are part of what must survive the crashes.
    expect([...expected.values()].some((r) => r.pane.timing === 'late')).toBe(true);
    expect(actual.size).toBe(expected.size);
    expect(actual).toEqual(expected);
  }

  it('SIGKILLed at random moments and restarted, the job ends with the same result table as a clean run', async () => {
    await killedEqualsClean('heap', 'tumbling');
  }, 180_000);

  it('with session windows and dedup resident in LevelDB behind a 4 KB cache, the same as a clean run with heap state', async () => {
    await killedEqualsClean('resident', 'session', '4KB');
  }, 240_000);
});
