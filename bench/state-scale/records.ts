import type { StateJob } from './options.js';

/** How a run ended. */
export type RunStatus = 'ok' | 'out of memory' | 'timed out' | 'failed';

/** One measured (job, engine, size) of the state-scale benchmark. */
export interface StateRunRecord {
  job: StateJob;
  engine: string;
  /** Distinct ids (dedup-ids), distinct keys (sessions-keys) or keys in state (restart, checkpoint). */
  size: number;
  status: RunStatus;
  /** The end of the failed process's stderr. */
  error?: string;
  /** Input records read by the measured process (a failed streamkit run: at least this many, from its progress lines). */
  records: number | null;
  wallMs: number | null;
  /** Input records ÷ wall seconds, start-up included. */
  eventsPerSecond: number | null;
  /** Records read after the first result ÷ seconds from it to the last. */
  steadyEventsPerSecond: number | null;
  peakRssMb: number | null;
  cpuSeconds: number | null;
  /** Output rows: kept records (dedup), session rows (sessions). */
  outputRows: number | null;
  /** Records dropped as duplicates (dedup-ids). */
  duplicates: number | null;
  /** Order-free digest of the output rows (see digest.ts), where the engine's output is digested. */
  digest: string | null;
  /** The output agrees with what the input was generated to give (counts, or session rows). */
  outputAsGenerated: boolean | null;
  /** restart: process start → `job.started`, ms. */
  startedMs?: number | null;
  /** restart: process start → the first result, ms; dedup-ids, sessions-keys: start-up. */
  firstResultMs?: number | null;
  /** checkpoint: the stop's checkpoint after `touched` new ids. */
  checkpoint?: { touched: number; durationMs: number; sizeBytes: number; entries: number } | null;
  /** restart, checkpoint: the run that put the keys in state before. */
  fill?: { records: number; wallMs: number; peakRssMb: number | null; checkpoints: number } | null;
  /** The measured process's result line. */
  detail?: Record<string, unknown>;
}

/** One invocation of the harness in bench/results/state-scale.json. */
export interface StateScaleRun {
  date: string;
  finished: string;
  machine: Record<string, unknown>;
  config: Record<string, unknown>;
  results: StateRunRecord[];
}
