import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The suites whose results depend on watermarks, run with a watermark step of one result:
 * `npx vitest run --config vitest.watermark-steps.config.ts`. Every oracle and restore test in them
 * then also checks that a watermark worked through in steps gives the results of one call.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/windowing/**/*.test.ts',
      'test/process/**/*.test.ts',
      'test/joins/**/*.test.ts',
      'test/property/**/*.test.ts',
      'test/pipeline/**/*.test.ts',
      'test/runtime/**/*.test.ts',
      'test/state/**/*.test.ts',
      'test/taxi/**/*.test.ts',
    ],
    setupFiles: ['test/setup/watermark-step-of-one.ts'],
  },
});
