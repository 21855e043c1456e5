/**
 * How a worker thread gets the pipeline: real worker threads import a module that builds a pipeline
 * and calls `.run()`, capture its plan instead of running it, and post back the plan's digest.
 * Workers start through scripts/ts-worker.mjs (see exchange-channel.test.ts for why).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { from, fromArray, toArray } from '../../src/index.js';
import { capturePipeline } from '../../src/parallel/pipeline-worker.js';
import { describePlanDifference, planDigest, type PlanDigest } from '../../src/parallel/plan-digest.js';

const TS_WORKER = new URL('../../scripts/ts-worker.mjs', import.meta.url);
const fixture = (name: string) => new URL(`./fixtures/${name}.ts`, import.meta.url).href;
const CAPTURE = fixture('capture-worker');
const WINDOWED = fixture('windowed-pipeline');

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function markerFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-worker-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'marker.json');
}

/** Starts `script` in a worker thread; resolves with its first message and its exit code. */
function startWorker(script: string, data: object, marker?: string) {
  const worker = new Worker(TS_WORKER, {
    workerData: { script, ...data },
    env: { ...process.env, ...(marker ? { PIPELINE_FIXTURE_MARKER: marker } : {}) },
  });
  cleanups.push(() => worker.terminate());
  const message = new Promise<{ digest?: PlanDigest; error?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const failed = new Promise<Error>((resolve) => worker.on('error', resolve));
  return { message, exited, failed };
}

describe('a worker thread captures the pipeline of a module', () => {
  it('takes the plan without running it: code after await run() does not run in the worker, and the digests are equal', async () => {
    const marker = markerFile();
    const worker = startWorker(CAPTURE, { module: WINDOWED }, marker);
    const { digest, error } = await worker.message;
    expect(error).toBeUndefined();
    expect(await worker.exited).toBe(0);
    expect(existsSync(marker)).toBe(false);

    const inThread = planDigest((await capturePipeline(WINDOWED)).plan);
    expect(digest).toEqual(inThread);
    expect(describePlanDifference(inThread, digest!)).toBeUndefined();
    expect(inThread.lines.some((line) => line.includes('window') && line.includes('tumbling(60000ms)'))).toBe(true);
  });

  it('the same module run normally in a worker runs its job and the code after it', async () => {
    const marker = markerFile();
    const worker = startWorker(WINDOWED, {}, marker);
    expect(await worker.exited).toBe(0);
    const results = JSON.parse(readFileSync(marker, 'utf8')) as Array<{ key: string; value: number }>;
    expect(results.map((r) => [r.key, r.value])).toEqual([
      ['a', 2],
      ['b', 1],
      ['a', 1],
    ]);
  });

  it('a module that builds a different pipeline in a worker gives a different digest, and the difference is named', async () => {
    const module = fixture('thread-dependent-pipeline');
    const { digest, error } = await startWorker(CAPTURE, { module }).message;
    expect(error).toBeUndefined();
    const main = planDigest((await capturePipeline(module)).plan);
    expect(digest!.hash).not.toBe(main.hash);
    const difference = describePlanDifference(main, digest!, ['the main thread', 'worker 1']);
    expect(difference).toMatch(/^the main thread has ".*tumbling\(60000ms\).*" where worker 1 has ".*tumbling\(300000ms\).*"$/);
  });

  it('refuses a module that never calls run(), in a worker and in this thread', async () => {
    const module = fixture('no-run-pipeline');
    const { error } = await startWorker(CAPTURE, { module }).message;
    expect(error).toMatch(/no-run-pipeline\.ts finished without calling \.run\(\)/);
    await expect(capturePipeline(module)).rejects.toThrow(/finished without calling \.run\(\)/);
  });

  it('refuses a module that runs two pipelines', async () => {
    const { error } = await startWorker(CAPTURE, { module: fixture('two-runs-pipeline') }).message;
    expect(error).toMatch(/runs 2 pipelines: a parallel run takes one pipeline per module/);
  });

  it('a module that runs a second pipeline later fails its worker thread after the capture', async () => {
    const worker = startWorker(CAPTURE, { module: fixture('late-second-run-pipeline') });
    const { digest } = await worker.message;
    expect(digest!.lines).toContain('sinks: first');
    expect((await worker.failed).message).toMatch(/already took its pipeline: its module may call \.run\(\) once/);
  });

  it('after the capture, a further run() in that thread throws, and the module is not captured twice', async () => {
    const module = fixture('single-run-pipeline');
    const { plan } = await capturePipeline(module);
    expect(planDigest(plan).lines).toEqual(['source array', '0 map', 'sinks: array']);
    await expect(capturePipeline(module)).rejects.toThrow(/already imported that module/);
    expect(() =>
      from(fromArray([1]))
        .to(toArray())
        .run(),
    ).toThrow(/already took its pipeline/);
  });
});
