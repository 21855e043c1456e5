export { prometheusText, defaultProcessRegistry, METRIC_HELP } from './prometheus.js';
export { serveMetrics } from './metrics-server.js';
export type { MetricsServer } from './metrics-server.js';
export { createLogger, maskedLogger, LOG_LEVELS } from './logger.js';
export type { Logger, LogFn, StructuredLogger, LoggerOptions, LogLevel, LogFields } from './logger.js';
export { maskSecrets, maskUrlCredentials, isSecretKey, MASK } from './mask-secrets.js';
export { logRuntimeEvent } from './log-runtime-event.js';
export { ProgressReporter, createProgressReporter } from './progress-reporter.js';
export type { ProgressOptions, ProgressStream, ProgressFormat } from './progress-reporter.js';
