/**
 * Where a worker thread of a parallel run takes the pipeline its module builds. A worker imports
 * the same module as the main thread (as `node:cluster` workers do) and that module calls `.run()`;
 * while a capture is set, `runPipeline` hands the plan and options to it instead of running a job.
 * Nothing sets it in a normal run. It lives in core so that the runtime (which reads it) and the
 * parallel parts (which set it) both sit above it.
 */

/** Takes the plan (`PipelinePlan`) and the options one `.run()` was given. */
export type PlanCapture = (plan: unknown, options: unknown) => void;

let current: PlanCapture | undefined;

/** The capture set in this thread, if any; `runPipeline` reads it on every run. */
export function planCapture(): PlanCapture | undefined {
  return current;
}

/** Sets (or, with `undefined`, clears) this thread's capture. Only the worker runtime calls it. */
export function setPlanCapture(capture: PlanCapture | undefined): void {
  current = capture;
}
