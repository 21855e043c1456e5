/**
 * Hand-tuned encoders, each beside the plain definition it must equal, the property test that pins
 * them together (`test/fast/`) and the benchmark that justifies it (`bench/fast-paths.bench.ts`);
 * see docs/architecture.md, "Fast paths". Internal: nothing here is part of the public API.
 */
export { DECIMAL_MAX_LENGTH, writeDecimal } from './decimal-ascii.js';
export { serializeStateValue } from './serialize-state-value.js';
export { V8WireWriter } from './v8-wire-writer.js';
