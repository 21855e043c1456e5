import { StateError } from '../core/errors.js';
import type { EntryTable, KeyedStateStore, TrackedEntry } from '../core/keyed-state.js';
import { fromSortableTime, sortableTime } from '../state/state-key.js';
import { TimerHeap } from '../state/timer-heap.js';

/** A record of the stream side of a lookup join, waiting for the watermark to reach its time. */
export interface HeldProbe extends TrackedEntry {
  readonly time: number;
  /** Its place in arrival order: unique, and the order of records held at one time. */
  readonly seq: number;
  readonly value: unknown;
  /** The text of the table key it looks up. */
  readonly keyText: string;
  /** The record's own key in the stream (`keyBy`), kept on its result. */
  readonly streamKey: unknown;
  readonly partition: number;
  readonly offset: number;
}

/** What a record is held with, before the state's bookkeeping. */
export type ProbeRecord = Omit<HeldProbe, keyof TrackedEntry>;

/** The stored form of a held record: `[value, key text, stream key, partition, offset]`. */
type StoredProbe = [unknown, string, unknown, number, number];

/**
 * The records a lookup join holds until the watermark reaches their time, released in time order,
 * ties in arrival order. They are keyed state, an entry table under `prefix` +
 * `<sortableTime(time)>/<seq>`: a record held and released between two checkpoints costs the
 * checkpoint nothing. The release queue is derived and rebuilt as entries are restored.
 */
export class HeldProbes {
  private readonly queue = new TimerHeap<HeldProbe>();
  private readonly table: EntryTable<HeldProbe>;

  constructor(state: KeyedStateStore, prefix: string) {
    this.table = state.entries<HeldProbe, HeldProbe>({
      prefix,
      keyOf: (probe) => `${prefix}${sortableTime(probe.time)}/${probe.seq}`,
      valueOf: (probe): StoredProbe => [probe.value, probe.keyText, probe.streamKey, probe.partition, probe.offset],
      forEach: (visit) => this.queue.forEachRef(visit),
      decode: (key, value) => decodeHeldProbe(key.slice(prefix.length), value),
      restore: (probe) => {
        this.queue.push(probe.time, probe.seq, probe);
        return probe;
      },
    });
  }

  get size(): number {
    return this.queue.size;
  }

  /** Holds a record. */
  hold(record: ProbeRecord): void {
    const probe = record as HeldProbe;
    probe.mark = 0;
    probe.persisted = false;
    probe.stateKey = undefined;
    // Ordered by (time, seq): the same order in a run restored from a checkpoint.
    this.queue.push(probe.time, probe.seq, probe);
    this.table.changed(probe);
  }

  /** Removes and returns the records with time `<= watermark`, oldest first. */
  release(watermark: number): HeldProbe[] {
    const due: HeldProbe[] = [];
    while (this.queue.size > 0 && this.queue.peekTime() <= watermark) {
      const probe = this.queue.pop()!.ref;
      this.table.removed(probe);
      due.push(probe);
    }
    return due;
  }
}

/** Reads a held record's key (after the prefix), `<sortableTime(time)>/<seq>`, and its stored value. */
function decodeHeldProbe(own: string, value: unknown): HeldProbe {
  const at = own.indexOf('/');
  const seq = Number(own.slice(at + 1));
  let time: number;
  try {
    time = fromSortableTime(own.slice(0, at));
  } catch (error) {
    throw new StateError('STATE_CORRUPT', `lookup: cannot read the held record key ${JSON.stringify(own)}`, error);
  }
  if (
    !Number.isSafeInteger(seq) ||
    !Array.isArray(value) ||
    value.length !== 5 ||
    typeof value[1] !== 'string' ||
    typeof value[3] !== 'number' ||
    typeof value[4] !== 'number'
  ) {
    throw new StateError('STATE_CORRUPT', `lookup: cannot read the held record ${JSON.stringify(own)}`);
  }
  const [stored, keyText, streamKey, partition, offset] = value as StoredProbe;
  return { time, seq, value: stored, keyText, streamKey, partition, offset, mark: 0, persisted: false, stateKey: undefined };
}
