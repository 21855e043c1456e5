import { constants } from 'node:os';

/** Signals no process can listen for. */
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * Checks `run({ stopOnSignals })`: an array of signal names a process can listen for.
 * @throws TypeError when it is not an array of strings; RangeError naming an unknown or uncatchable signal.
 */
export function checkStopSignals(signals: unknown): readonly NodeJS.Signals[] {
  if (!Array.isArray(signals) || signals.some((s) => typeof s !== 'string')) {
    throw new TypeError(`stopOnSignals must be an array of signal names such as ['SIGTERM', 'SIGINT'], got ${JSON.stringify(signals)}`);
  }
  for (const signal of signals as string[]) {
    if (!Object.hasOwn(constants.signals, signal) || UNCATCHABLE.has(signal)) {
      throw new RangeError(
        `stopOnSignals: ${JSON.stringify(signal)} is not a signal a process can listen for (use names such as 'SIGTERM', 'SIGINT', 'SIGHUP')`,
      );
    }
  }
  return [...new Set(signals as NodeJS.Signals[])];
}

/**
 * Listens for process signals that stop a job. The first one asks for a graceful stop; a second
 * one (any of `signals`) means "now": the listeners are removed, so a third signal gets the
 * process's default behaviour again, and `again` abandons the stop.
 * @returns a function that removes the listeners (call it when the job ends).
 * @example const remove = listenForStopSignals(['SIGTERM'], { first: (s) => stop.request(s), again: (s) => abandon(s) });
 */
export function listenForStopSignals(
  signals: readonly NodeJS.Signals[],
  on: { first: (signal: NodeJS.Signals) => void; again: (signal: NodeJS.Signals) => void },
): () => void {
  let received = 0;
  const remove = () => {
    for (const signal of signals) process.off(signal, handle);
  };
  function handle(signal: NodeJS.Signals): void {
    if (received++ === 0) {
      on.first(signal);
      return;
    }
    remove();
    on.again(signal);
  }
  for (const signal of signals) process.on(signal, handle);
  return remove;
}
