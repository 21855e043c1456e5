import { setWatermarkStepSize } from '../../src/runtime/watermark-steps.js';

// Every watermark that fires anything is worked through one result at a time: the suites it runs
// with (vitest.watermark-steps.config.ts) then check that stepping changes no result.
setWatermarkStepSize(1);
