import { lazyModule } from '../core/lazy-module.js';

/**
 * fast-check, loaded when an arbitrary is first made: the batch oracle and the helpers of
 * `streamkit/testing` work without it (it is an optional peer dependency), and the arbitraries
 * say which package to install when it is missing.
 */
export const fastCheck = lazyModule<typeof import('fast-check')>(
  'fast-check',
  'the arbitraries of streamkit/testing (keyedEvents, batchSizes)',
  'npm install --save-dev fast-check',
);
