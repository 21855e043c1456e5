/**
 * How a worker thread of a parallel run gets its pipeline. Closures (map functions, key selectors,
 * aggregators) cannot cross threads, so each worker builds the pipeline itself, as `node:cluster`
 * workers do: it imports the same module as the main thread, whose top-level code builds the
 * pipeline and calls `.run()`. In the worker that call hands the plan over instead of running a job,
 * and the job it returns never settles, so the module's code after `await stream.run()` runs in the
 * main thread only.
 */
import { PipelineError } from '../core/errors.js';
import { planCapture, setPlanCapture, type PlanCapture } from '../core/plan-capture.js';
import type { DigestedPlan } from './plan-digest.js';

/** What one `.run()` of a module handed over: the plan and the options it was given. */
export interface CapturedPipeline {
  plan: DigestedPlan;
  options: unknown;
}

/** Set while `capturePipeline` waits for its module's `.run()`. */
let capturing = false;
/** The modules this thread imported to capture: a module evaluates once per thread, so a second import would never run. */
const imported = new Set<string>();

/**
 * Imports `moduleUrl` with this thread's `.run()` captured, and resolves with the first pipeline it
 * runs. Rejects when the module finishes without calling `.run()`, or runs more than one pipeline
 * (two `.run()` calls, or a stream with `.repartition()`, which runs two). Afterwards any `.run()`
 * in this thread throws: a worker runs the one pipeline it took. A module is captured once per thread.
 * @param moduleUrl the module that builds the pipeline (the main thread's entry script, as a file URL).
 * @throws PipelineError naming the module and what it did.
 * @example const { plan } = await capturePipeline(pathToFileURL(process.argv[1]).href);
 */
export async function capturePipeline(moduleUrl: string): Promise<CapturedPipeline> {
  if (capturing) throw new PipelineError(`capturePipeline(${moduleUrl}): this thread is already taking the pipeline of another module`);
  const current = planCapture();
  if (current !== undefined && current !== refuseRun) {
    throw new PipelineError(`capturePipeline(${moduleUrl}): something else captures this thread's runs`);
  }
  if (imported.has(moduleUrl)) {
    throw new PipelineError(
      `capturePipeline(${moduleUrl}): this thread already imported that module; a module builds its pipeline once per thread`,
    );
  }
  imported.add(moduleUrl);
  const captured: CapturedPipeline[] = [];
  let tookOne!: () => void;
  const firstRun = new Promise<void>((resolve) => (tookOne = resolve));
  const take: PlanCapture = (plan, options) => {
    captured.push({ plan: plan as DigestedPlan, options });
    tookOne();
  };
  capturing = true;
  setPlanCapture(take);
  try {
    const evaluated = import(moduleUrl).then(
      () => undefined,
      (error: unknown) => {
        throw new PipelineError(
          `the module ${moduleUrl} failed while building its pipeline in a worker thread: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
    await Promise.race([firstRun, evaluated]);
    // A second pipeline started in the same turn (a second `.run()` not awaited, a repartitioned
    // stream's two stages) is taken before the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    if (captured.length === 0) {
      throw new PipelineError(
        `the module ${moduleUrl} finished without calling .run(): a parallel run's module builds its pipeline and calls .run() ` +
          `at its top level (or in a function its top level awaits), so that each worker thread builds the same pipeline`,
      );
    }
    if (captured.length > 1) {
      throw new PipelineError(
        `the module ${moduleUrl} runs ${captured.length} pipelines: a parallel run takes one pipeline per module. ` +
          `Call .run() once; a stream with .repartition() runs as two stages: run each stage (stream.stages()) in its own process`,
      );
    }
    // The module goes on after its `.run()` (a later `.run()` that throws, a failure): a failure
    // then ends the thread, as an uncaught error, rather than being lost.
    evaluated.catch((error: unknown) =>
      queueMicrotask(() => {
        throw error;
      }),
    );
    return captured[0];
  } finally {
    capturing = false;
    setPlanCapture(refuseRun);
  }
}

/** After the capture: a worker runs the pipeline it took, never another. */
const refuseRun: PlanCapture = () => {
  throw new PipelineError(
    'this worker thread of a parallel run already took its pipeline: its module may call .run() once (code after `await stream.run()` runs in the main thread only)',
  );
};
