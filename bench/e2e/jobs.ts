import { TRIP_DISORDER_BOUND_MS } from '../../examples/taxi/generator.js';

/** The benchmark jobs: the four queries of bench/flink/sql, and zone-5m again with a short watermark delay. */
export const JOBS = ['zone-5m', 'silver', 'sessions', 'dedup', 'zone-5m-late'] as const;
/** One of {@link JOBS}. */
export type JobName = (typeof JOBS)[number];
/** The query a job runs: a file in bench/flink/sql and a pipeline in bench/e2e/streamkit-job.ts. */
export type QueryName = 'silver' | 'zone-5m' | 'sessions' | 'dedup';

/** What a job computes and over which input. */
export interface JobSpec {
  query: QueryName;
  /** Watermark delay of `boundedOutOfOrderness`, ms (Flink: the table's WATERMARK). */
  watermarkDelayMs: number;
  /** Share of trips delivered twice in the input. */
  duplicates: number;
  /** One line for the report: what the job is for. */
  summary: string;
}

/** Share of trips delivered twice in the dedup job's input. */
export const DEDUP_DUPLICATE_RATE = 0.05;

/** Watermark delay of the late-heavy variant: most of the generator's trips arrive later than this. */
export const LATE_HEAVY_DELAY_MS = 30_000;

/**
 * The main workload is on time: its watermark delay is the generator's disorder bound (2h1m), so
 * every trip but a delayed store-and-forward one reaches its window. `zone-5m-late` keeps the
 * 30 s delay of earlier runs, under which most records are late: a secondary job, for the late path.
 */
export const JOB_SPECS: Record<JobName, JobSpec> = {
  'zone-5m': {
    query: 'zone-5m',
    watermarkDelayMs: TRIP_DISORDER_BOUND_MS,
    duplicates: 0,
    summary: 'trips, revenue, average fare and distance per pickup zone in tumbling 5-minute windows',
  },
  silver: {
    query: 'silver',
    watermarkDelayMs: TRIP_DISORDER_BOUND_MS,
    duplicates: 0,
    summary: 'parse, filter and derive every Silver column (sha256 trip id included), then count',
  },
  sessions: {
    query: 'sessions',
    watermarkDelayMs: TRIP_DISORDER_BOUND_MS,
    duplicates: 0,
    summary: 'trips and revenue per vendor and pickup zone in session windows with a 30-minute gap',
  },
  dedup: {
    query: 'dedup',
    watermarkDelayMs: TRIP_DISORDER_BOUND_MS,
    duplicates: DEDUP_DUPLICATE_RATE,
    summary: 'input with 5 % of trips delivered twice, deduplicated by trip id within 1 h, then zone-5m',
  },
  'zone-5m-late': {
    query: 'zone-5m',
    watermarkDelayMs: LATE_HEAVY_DELAY_MS,
    duplicates: 0,
    summary: 'zone-5m with a 30 s watermark delay: late-heavy, most records arrive after their window fired',
  },
};

/** Whether a job's output is window rows (all but silver, which only counts). */
export function isWindowed(job: JobName): boolean {
  return JOB_SPECS[job].query !== 'silver';
}

/** The output file name every engine writes for `job` (Flink's runner sets the convention). */
export function outputFileName(job: JobName): string {
  const query = JOB_SPECS[job].query;
  return query === 'silver' ? 'silver.json' : `${query}.jsonl`;
}
