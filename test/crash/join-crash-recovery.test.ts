import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { readLevelTable } from '../../src/sinks/level-sink.js';
import { expectedSeconds, type CustomerSecond } from '../joins/orders-payments.js';
import { killUntilDone, startJob } from './job-process.js';
import { writeJoinCrashInput, type JoinCrashInput } from './join-crash-input.js';

const JOB = fileURLToPath(new URL('./join-crash-job.ts', import.meta.url));
const EVENTS = 20_000;
const MAX_KILLS = 20;

describe('crash recovery of union, interval join and process function', () => {
  let root: string;
  let input: JoinCrashInput;
  const run = (name: string) =>
    startJob(JOB, [
      input.ordersA,
      input.ordersB,
      input.payments,
      join(root, `${name}-state`),
      join(root, `${name}-table`),
      join(root, `${name}-dead`),
    ]);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-join-crash-'));
    input = await writeJoinCrashInput(root, EVENTS);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('SIGKILLed at random moments and restarted, ends with the table of a clean run, which is the batch answer', async () => {
    const clean = run('clean');
    const exit = await clean.exited;
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    // Every line is read: a record or, unreadable, a dead letter. Nothing is late.
    expect(clean.lines.at(-1)).toBe(`done 0 ${EVENTS - input.unreadable} 0 ${input.unreadable}`);

    const { kills, restores } = await killUntilDone(() => run('killed'), { maxKills: MAX_KILLS, seed: 2027 });
    console.log(`join crash test: ${kills} SIGKILLs, ${restores} restores from a checkpoint`);
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(restores).toBeGreaterThanOrEqual(4);

    const expected = await readLevelTable<CustomerSecond>(join(root, 'clean-table'));
    const actual = await readLevelTable<CustomerSecond>(join(root, 'killed-table'));
    const batch = expectedSeconds(input.orders, input.paymentRecords);
    expect(batch.length).toBeGreaterThan(500);
    // Pairs and unmatched orders are both part of what must survive.
    expect(batch.some((row) => row.unpaid > 0)).toBe(true);
    expect(batch.some((row) => row.pairs > 1)).toBe(true);
    expect([...expected.values()]).toEqual(batch);
    expect(actual.size).toBe(expected.size);
    expect(actual).toEqual(expected);

    const dead = await readLevelTable<DeadLetter>(join(root, 'killed-dead'));
    expect(dead.size).toBe(input.unreadable);
    expect(dead).toEqual(await readLevelTable<DeadLetter>(join(root, 'clean-dead')));
  }, 240_000);
});
