import { StateError } from '../core/errors.js';
import type { StateWriter } from '../core/operator.js';
import type { ResidentState } from '../core/resident-state.js';
import type { DedupIds } from './dedup-ids.js';

/**
 * Resident layout of dedup's state, in the operator's own store:
 * - `m` holds `{ watermark, generations }`: the watermark, and `[gen, entries]` for every
 *   generation that holds entries (read once, when the operator opens).
 * - `g/<gen>/<id>` holds the event time the id was seen at, `gen = Math.floor(seenAt / within)`.
 * Pinned by `test/delivery/dedup-resident.test.ts`.
 */
const META_KEY = 'm';
const GENERATION_PREFIX = 'g/';

/** What the meta entry `m` holds. */
interface DedupProgress {
  watermark: number;
  generations: Array<[number, number]>;
}

/**
 * The ids a resident dedup remembers, kept on disk in generations of `within`-wide spans of event
 * time. A duplicate of a record at `t` was seen within `(t - within, t + within)`, so only
 * generations from `gen(t) - 1` up can hold it; they are read newest first, and the first entry
 * found is the id's latest sighting (an id is only ever remembered at a later time than before).
 * A generation is deleted with one range delete once the watermark has passed all of it, so no id
 * is visited to expire it.
 *
 * Decisions equal those of the heap table (`DedupHeapIds`): an entry counts only while `seenAt >
 * watermark - within`, and an older entry of the id in an older generation is shadowed by the
 * newer one. A passed entry needs no delete: its generation goes as a whole.
 * @example
 * const ids = new DedupGenerations(ctx.residentState!()!, 3_600_000);
 * if (ids.current('trip-1', t, ids.watermark - 3_600_000) === undefined) ids.remember('trip-1', t);
 */
export class DedupGenerations implements DedupIds {
  /** The watermark as of the last `advance` (restored from `m`). */
  watermark = -Infinity;
  /** The generations holding entries, ascending; usually two or three. */
  private generations: number[] = [];
  /** Entries written per generation, for the `dedup_ids` gauge. */
  private readonly counts = new Map<number, number>();
  private total = 0;
  /** Set by `current`: the id already has an entry in its record's own generation (a put replaces it). */
  private ownHasId = false;

  constructor(
    private readonly store: ResidentState,
    private readonly within: number,
  ) {
    const meta = store.get(META_KEY);
    if (meta !== undefined) this.load(meta);
  }

  /**
   * Entries in the generations not yet deleted: the ids remembered, plus older sightings of an id
   * and passed ids whose generation is not deleted yet (the `dedup_ids` gauge on disk).
   */
  get size(): number {
    return this.total;
  }

  /**
   * The event time `id` is deduplicated against for a record at `t`, or `undefined` when none is
   * still remembered (`> horizon`) or its latest sighting lies before generation `gen(t) - 1`
   * (more than `within` before `t`: it cannot make the record a duplicate, and the heap table
   * would replace it by `t` just as a missing one).
   */
  current(id: string, t: number, horizon: number): number | undefined {
    const own = Math.floor(t / this.within);
    const gens = this.generations;
    this.ownHasId = false;
    for (let k = gens.length - 1; k >= 0 && gens[k] >= own - 1; k--) {
      const seenAt = this.store.get(GENERATION_PREFIX + gens[k] + '/' + id);
      if (seenAt === undefined) continue;
      if (typeof seenAt !== 'number') throw incompatible(`${GENERATION_PREFIX}${gens[k]}/${id}`);
      this.ownHasId = gens[k] === own;
      return seenAt > horizon ? seenAt : undefined;
    }
    return undefined;
  }

  /** Remembers `id` at `t` (always later than its current sighting); call right after `current(id, t, …)`. */
  remember(id: string, t: number): void {
    const gen = Math.floor(t / this.within);
    this.store.put(GENERATION_PREFIX + gen + '/' + id, t);
    const count = this.counts.get(gen);
    if (count === undefined) {
      this.counts.set(gen, 1);
      this.insertGeneration(gen);
      this.total++;
    } else if (!this.ownHasId) {
      this.counts.set(gen, count + 1);
      this.total++;
    }
  }

  /**
   * Moves the watermark and deletes every generation it has wholly passed: each seenAt of `gen` is
   * below `(gen + 1) * within`, so all are forgotten once `watermark >= (gen + 2) * within`.
   */
  advance(watermark: number): void {
    this.watermark = watermark;
    let passed = 0;
    while (passed < this.generations.length && (this.generations[passed] + 2) * this.within <= watermark) {
      const gen = this.generations[passed++];
      this.store.deletePrefix(`${GENERATION_PREFIX}${gen}/`);
      this.total -= this.counts.get(gen)!;
      this.counts.delete(gen);
    }
    if (passed > 0) this.generations = this.generations.slice(passed);
  }

  /** The event time `id` is remembered at, whatever the record time, or `undefined` (for queries). */
  latest(id: string): number | undefined {
    for (let k = this.generations.length - 1; k >= 0; k--) {
      const seenAt = this.store.get(GENERATION_PREFIX + this.generations[k] + '/' + id);
      if (typeof seenAt === 'number') return seenAt > this.watermark - this.within ? seenAt : undefined;
    }
    return undefined;
  }

  /** The ids still remembered, each once, as the store lists them (for queries). */
  async *ids(): AsyncIterable<string> {
    const listed = new Set<string>();
    for await (const key of this.store.keys(GENERATION_PREFIX)) {
      const id = key.slice(key.indexOf('/', GENERATION_PREFIX.length) + 1);
      if (listed.has(id)) continue;
      const seenAt = this.store.get(key);
      if (typeof seenAt === 'number' && seenAt > this.watermark - this.within) {
        listed.add(id);
        yield id;
      }
    }
  }

  /** Writes the meta entry and every change since the previous snapshot into a checkpoint (always incremental: `full` is ignored). */
  snapshot(writer: StateWriter): void {
    const progress: DedupProgress = { watermark: this.watermark, generations: [...this.counts] };
    this.store.put(META_KEY, progress);
    this.store.snapshot(writer);
  }

  private insertGeneration(gen: number): void {
    const gens = this.generations;
    let at = gens.length;
    while (at > 0 && gens[at - 1] > gen) at--;
    gens.splice(at, 0, gen);
  }

  private load(meta: unknown): void {
    const { watermark, generations } = (meta ?? {}) as Partial<DedupProgress>;
    if (
      typeof watermark !== 'number' ||
      !Array.isArray(generations) ||
      !generations.every((g) => Array.isArray(g) && Number.isInteger(g[0]) && Number.isInteger(g[1]))
    ) {
      throw incompatible(META_KEY);
    }
    this.watermark = watermark;
    for (const [gen, count] of generations) {
      this.counts.set(gen, count);
      this.total += count;
    }
    this.generations = [...this.counts.keys()].sort((a, b) => a - b);
  }
}

function incompatible(key: string): StateError {
  return new StateError(
    'STATE_INCOMPATIBLE',
    `dedup: unexpected state entry ${JSON.stringify(key)} in its on-disk layout (levelState({ memory })); use a new state directory or the same pipeline`,
  );
}
