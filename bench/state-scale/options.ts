// Command-line options of the state-scale benchmark (bench/state-scale.ts).

/** The jobs, in the order they run. */
export const STATE_JOBS = ['dedup-ids', 'sessions-keys', 'restart', 'checkpoint'] as const;
export type StateJob = (typeof STATE_JOBS)[number];

/** Default size per job: distinct ids, distinct keys, keys in state. */
export const DEFAULT_SIZES: Record<StateJob, number[]> = {
  'dedup-ids': [50_000_000],
  'sessions-keys': [5_000_000],
  restart: [10_000_000],
  checkpoint: [10_000_000],
};

/** How each engine runs. */
export interface StateEngine {
  kind: 'streamkit' | 'flink';
  /** streamkit: keyed state resident in LevelDB behind the memory budget (else on the heap). */
  resident?: boolean;
  /** streamkit: run under `--max-old-space-size` (--heap-mb). */
  cappedHeap?: boolean;
  /**
   * streamkit: also with the process settings docs/concepts/state-and-checkpoints.md recommends for
   * state on disk, which a library cannot make itself: `MALLOC_ARENA_MAX=2` and
   * `--max-semi-space-size=4`.
   */
  tuned?: boolean;
  /** Flink: `state.backend.type`. */
  stateBackend?: 'rocksdb' | 'hashmap';
  /** The jobs it runs (all when absent). */
  jobs?: readonly StateJob[];
}

const FLINK_JOBS: readonly StateJob[] = ['dedup-ids', 'sessions-keys'];

export const STATE_ENGINES: Record<string, StateEngine> = {
  'streamkit-resident': { kind: 'streamkit', resident: true, cappedHeap: true },
  /** The same with the recommended process settings (lower RSS). */
  'streamkit-resident-tuned': { kind: 'streamkit', resident: true, cappedHeap: true, tuned: true },
  'streamkit-heap': { kind: 'streamkit' },
  /** Heap state under the resident config's heap limit: shows where heap state stops fitting. */
  'streamkit-heap-capped': { kind: 'streamkit', cappedHeap: true },
  'flink-rocksdb': { kind: 'flink', stateBackend: 'rocksdb', jobs: FLINK_JOBS },
  'flink-hashmap': { kind: 'flink', stateBackend: 'hashmap', jobs: FLINK_JOBS },
};

export const DEFAULT_ENGINES = ['streamkit-resident', 'streamkit-heap', 'flink-rocksdb'];

/**
 * A count such as `200000`, `200_000`, `200k` or `2M`.
 * @example parseCount('2M') // 2_000_000
 */
export function parseCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim().replace(/_/g, ''));
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`expected a positive count such as 200000, 200k or 2M, got '${text}'`);
  return n;
}

/**
 * `--sizes`: comma-separated entries, each `job=size[+size…]` for one job or a bare `size[+size…]`
 * for every job; later entries win, jobs not named keep their defaults.
 * @example parseSizes('200k,dedup-ids=200k+2M').restart // [200_000]
 */
export function parseSizes(text: string | undefined): Record<StateJob, number[]> {
  const sizes = { ...DEFAULT_SIZES };
  if (text === undefined) return sizes;
  for (const entry of text.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const at = entry.indexOf('=');
    const counts = (at < 0 ? entry : entry.slice(at + 1)).split('+').map(parseCount);
    if (at < 0) {
      for (const job of STATE_JOBS) sizes[job] = counts;
    } else {
      const job = entry.slice(0, at).trim() as StateJob;
      if (!STATE_JOBS.includes(job)) throw new RangeError(`--sizes: unknown job '${job}'; known: ${STATE_JOBS.join(', ')}`);
      sizes[job] = counts;
    }
  }
  return sizes;
}

/** Whether `engine` runs `job`. */
export const runsJob = (engine: string, job: StateJob) => STATE_ENGINES[engine].jobs?.includes(job) ?? true;

/** Labels a count as 200k or 50M. */
export const sizeLabel = (n: number) =>
  n >= 1_000_000 && n % 100_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 100 === 0 ? `${n / 1000}k` : String(n);
