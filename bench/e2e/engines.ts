import type { JobName } from './jobs.js';

/** How one engine of the benchmark runs. */
export interface EngineSpec {
  kind: 'streamkit' | 'flink' | 'ceiling' | 'json-parse';
  /** One line for the report: the configuration, in the words of the engine's users. */
  summary: string;
  /** Worker threads or task slots that process records (streamkit: 1 until `run({ parallelism })` exists). */
  parallelism: number;
  /** streamkit: records per batch (undefined: streamkit's default). */
  batchSize?: number;
  /** streamkit: keyed state backend. */
  state?: 'memory' | 'level';
  /** Flink: `pipeline.auto-watermark-interval` in ms (undefined: Flink's default, 200 ms). */
  watermarkIntervalMs?: number;
  /** The jobs it runs (undefined: all). */
  jobs?: readonly JobName[];
  /** A default configuration (as its users run it) rather than a variant shown beside one. */
  isDefault: boolean;
}

const ZONE_JOBS: readonly JobName[] = ['zone-5m', 'zone-5m-late'];

/**
 * The engines. `streamkit`, `flink-p1` and `flink-p2` run as their users run them: streamkit with
 * its default batch size, Flink with its default watermark interval. The `-strict` variants emit a
 * watermark after every record in both engines, which fixes exactly which records are late, so
 * their outputs must be equal row for row; the ceiling loop does the same.
 */
export const ENGINES: Record<string, EngineSpec> = {
  streamkit: {
    kind: 'streamkit',
    summary: 'streamkit, in-memory state, default batch size (1,024 records; a watermark after each batch)',
    parallelism: 1,
    state: 'memory',
    isDefault: true,
  },
  'flink-p1': {
    kind: 'flink',
    summary: 'Flink SQL 2.2 on a local mini-cluster, parallelism 1, default watermark interval (200 ms)',
    parallelism: 1,
    isDefault: true,
  },
  'flink-p2': {
    kind: 'flink',
    summary: 'as flink-p1 at parallelism 2 (one subtask reads the single file; the rest runs on two)',
    parallelism: 2,
    isDefault: true,
  },
  'streamkit-strict': {
    kind: 'streamkit',
    summary: 'streamkit with one record per batch: a watermark after every record',
    parallelism: 1,
    state: 'memory',
    batchSize: 1,
    jobs: ZONE_JOBS,
    isDefault: false,
  },
  'flink-p1-strict': {
    kind: 'flink',
    summary: 'flink-p1 with pipeline.auto-watermark-interval = 0: a watermark after every record',
    parallelism: 1,
    watermarkIntervalMs: 0,
    jobs: ZONE_JOBS,
    isDefault: false,
  },
  'streamkit-level': {
    kind: 'streamkit',
    summary: 'streamkit with levelState (LevelDB) and a checkpoint every 5 s, fsync on',
    parallelism: 1,
    state: 'level',
    isDefault: false,
  },
  ceiling: {
    kind: 'ceiling',
    summary: 'a plain loop over pre-parsed records with the zone-5m arithmetic and a watermark per record (timed loop only)',
    parallelism: 1,
    jobs: ZONE_JOBS,
    isDefault: false,
  },
  'json-parse': {
    kind: 'json-parse',
    summary: 'JSON.parse of every input line and nothing else (timed loop only)',
    parallelism: 1,
    jobs: ['zone-5m'],
    isDefault: false,
  },
};

/** The engine whose output another engine's is compared with: per-record watermarks with their like. */
export function referenceEngine(engine: string, present: readonly string[]): string | undefined {
  const perRecord = engine === 'streamkit-strict' || engine === 'ceiling';
  const order = perRecord
    ? ['flink-p1-strict', 'flink-p1', 'streamkit']
    : engine === 'flink-p1'
      ? ['streamkit']
      : ['flink-p1', 'streamkit'];
  return order.find((e) => e !== engine && present.includes(e));
}
