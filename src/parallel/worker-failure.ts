import type { Worker } from 'node:worker_threads';
import { ExchangeError } from './exchange-error.js';

/** An exchange endpoint that can be failed from outside: an ExchangeSender or an ExchangeReceiver. */
export interface FailableEndpoint {
  fail(error: ExchangeError): void;
}

/**
 * Fails `endpoints` (the exchanges this thread shares with `worker`) when the worker throws or
 * exits with a non-zero code, with an {@link ExchangeError} whose `cause` is the worker's error.
 * Node reports a worker's uncaught error before the close of its ports, so the endpoints fail
 * with the worker's error rather than with a bare "closed".
 * @returns a function that stops watching.
 * @example
 * const stop = failOnWorkerFailure(worker, [sender, receiver]);
 */
export function failOnWorkerFailure(worker: Worker, endpoints: readonly FailableEndpoint[]): () => void {
  const failAll = (error: ExchangeError) => {
    for (const endpoint of endpoints) endpoint.fail(error);
  };
  const onError = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    failAll(new ExchangeError('worker-failed', `worker thread ${worker.threadId} failed: ${message}`, { cause: error }));
  };
  const onExit = (code: number) => {
    if (code !== 0) failAll(new ExchangeError('worker-failed', `worker thread exited with code ${code}`));
  };
  worker.on('error', onError);
  worker.on('exit', onExit);
  return () => {
    worker.off('error', onError);
    worker.off('exit', onExit);
  };
}
