import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { from } from '../../src/pipeline/stream.js';
import type { WindowResult } from '../../src/core/window.js';
import { fromArray } from '../../src/sources/array-source.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { brokers, committedOffsets, createTopic, produce, readToEnd, uniqueName, waitUntil } from './kafka-test-utils.js';

interface Click {
  user: string;
  at: number;
  amount: number;
}
type Result = WindowResult<string, { clicks: number; spent: number }>;

const job = fileURLToPath(new URL('./fixtures/crash-job.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function start(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', job, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

const T0 = Date.UTC(2026, 0, 1);
const USERS = ['ana', 'bo', 'cy', 'di', 'ed', 'flo'];

/** The output topic, upserted by result id as compaction does, equals an uninterrupted embedded run. */
async function expectCompactedOutputExact(input: Click[], outTopic: string): Promise<void> {
  const embedded = toArray<Result>();
  await from(fromArray(input))
    .withTimestamps((c) => c.at, boundedOutOfOrderness('10s'))
    .keyBy((c) => c.user)
    .window(tumbling('1m'))
    .aggregate({ clicks: count(), spent: sum((c: Click) => c.amount) })
    .to(embedded)
    .run();

  // upsert by key (the result id), as a compacted topic does: the last value per id wins
  const produced = await readToEnd(outTopic);
  const upserted = new Map<string, Result>();
  for (const m of produced) upserted.set(m.key!, JSON.parse(m.value!.toString()) as Result);
  const expected = new Map(embedded.items.map((r) => [r.id, r]));
  const label = (r: Result) => `${r.key} @${(r.window.start - T0) / 60_000}m ${JSON.stringify(r.value)}`;
  const missing = [...expected.values()].filter((r) => !upserted.has(r.id)).map(label);
  const wrong = [...expected.values()]
    .filter((r) => upserted.has(r.id) && upserted.get(r.id)!.value.clicks !== r.value.clicks)
    .map((r) => `${label(r)} got ${JSON.stringify(upserted.get(r.id)!.value)}`);
  expect({ missing, wrong }).toEqual({ missing: [], wrong: [] });
  expect(upserted.size).toBe(expected.size);
  expect(new Map([...upserted].sort())).toEqual(new Map([...expected].sort()));
  expect([...upserted.values()].reduce((n, r) => n + r.value.clicks, 0)).toBe(input.length);
}

describe('crash recovery on a real broker', () => {
  it.each([
    { state: 'levelState', arg: (dir: string) => dir },
    { state: 'kafkaChangelog with resident state', arg: (dir: string) => `resident:${dir.split('/').pop()}.changelog:${dir}` },
  ])('SIGKILL mid-run, restart: the compacted output equals an uninterrupted run ($state)', async ({ arg }) => {
    // time-ordered within each partition, so windows fire during the run and not only at its end
    const input = fc
      .sample(
        fc.record({
          user: fc.constantFrom(...USERS),
          at: fc.integer({ min: T0, max: T0 + 20 * 60_000 }),
          amount: fc.integer({ min: 1, max: 9 }),
        }),
        { numRuns: 1500, seed: 7 },
      )
      .sort((a, b) => a.at - b.at);
    const inTopic = uniqueName('crash-in');
    const outTopic = uniqueName('crash-out');
    const groupId = uniqueName('crash-job');
    await createTopic(inTopic, 3);
    await createTopic(outTopic, 3, [{ name: 'cleanup.policy', value: 'compact' }]);
    await produce(
      inTopic,
      input.map((c) => ({ key: c.user, value: JSON.stringify(c), partition: USERS.indexOf(c.user) % 3 })),
    );
    const stateDir = mkdtempSync(join(tmpdir(), 'streamkit-crash-'));
    dirs.push(stateDir);
    const args = [brokers.join(','), inTopic, outTopic, groupId, arg(stateDir)];

    const first = start(args);
    await waitUntil(() => first.lines.filter((l) => l.startsWith('checkpoint')).length >= 3, 'three checkpoints');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    expect(first.lines.some((l) => l.startsWith('done'))).toBe(false);
    const committedAtCrash = await committedOffsets(groupId, inTopic);
    const consumedBeforeCrash = Object.values(committedAtCrash).reduce((a, b) => a + Math.max(b, 0), 0);
    expect(consumedBeforeCrash).toBeGreaterThan(0);
    expect(consumedBeforeCrash).toBeLessThan(input.length);

    const second = start(args);
    expect(await second.exited).toBe(0);
    const replayed = Number(second.lines.find((l) => l.startsWith('done'))!.split(' ')[1]);
    // The restart reads from the last checkpoint, not from the beginning. The group's committed
    // offsets follow each checkpoint (the checkpoint, not the group, says where a restore resumes),
    // so a kill between the two resumes past them by at most one checkpoint interval (the fixture
    // checkpoints every 100 records).
    expect(replayed).toBeLessThan(input.length);
    expect(replayed).toBeGreaterThanOrEqual(input.length - consumedBeforeCrash - 100);

    await expectCompactedOutputExact(input, outTopic);
  });

  it('two processes split the partitions; one is SIGKILLed; the other restores its tasks from the changelog and the output is exact', async () => {
    const input = fc
      .sample(
        fc.record({
          user: fc.constantFrom(...USERS),
          at: fc.integer({ min: T0, max: T0 + 20 * 60_000 }),
          amount: fc.integer({ min: 1, max: 9 }),
        }),
        { numRuns: 1500, seed: 9 },
      )
      .sort((a, b) => a.at - b.at);
    const inTopic = uniqueName('takeover-in');
    const outTopic = uniqueName('takeover-out');
    const groupId = uniqueName('takeover-job');
    await createTopic(inTopic, 3);
    await createTopic(outTopic, 3, [{ name: 'cleanup.policy', value: 'compact' }]);
    // The survivor must outlast the victim's session timeout (6 s) before it counts as idle.
    const args = [brokers.join(','), inTopic, outTopic, groupId, `changelog:${groupId}.changelog`, '15s'];

    const victim = start(args);
    const survivor = start(args);
    const tasksOf = (p: ReturnType<typeof start>) => p.lines.filter((l) => l.startsWith('task '));
    await waitUntil(() => tasksOf(victim).length > 0 && tasksOf(survivor).length > 0, 'both processes to own partitions');
    await produce(
      inTopic,
      input.map((c) => ({ key: c.user, value: JSON.stringify(c), partition: USERS.indexOf(c.user) % 3 })),
    );
    await waitUntil(() => victim.lines.filter((l) => l.startsWith('checkpoint')).length >= 2, 'the victim to checkpoint');
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe(null);
    expect(victim.lines.some((l) => l.startsWith('done'))).toBe(false);

    const survivorCode = await survivor.exited;
    expect(survivorCode).toBe(0);
    // The survivor restored every task it took over from the victim's checkpoints in the changelog.
    const victimTasks = tasksOf(victim).map((l) => l.split(' ')[1]);
    for (const task of victimTasks) {
      expect(
        tasksOf(survivor).some((l) => l.startsWith(`task ${task} `) && !l.endsWith(' -')),
        task,
      ).toBe(true);
    }
    await expectCompactedOutputExact(input, outTopic);
  });
});
