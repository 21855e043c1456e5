import { StateError } from '../core/errors.js';
import type { MapTable } from '../core/keyed-state.js';
import { fromSortableTime, sortableTime } from '../state/state-key.js';
import { TimerHeap } from '../state/timer-heap.js';

/** A record of the stream side of a lookup join, waiting for the watermark to reach its time. */
export interface HeldProbe {
  readonly time: number;
  readonly value: unknown;
  /** The text of the table key it looks up. */
  readonly keyText: string;
  /** The record's own key in the stream (`keyBy`), kept on its result. */
  readonly streamKey: unknown;
  readonly partition: number;
  readonly offset: number;
  readonly stateKey: string;
}

/** The stored form of a held record: `[value, key text, stream key, partition, offset]`. */
export type StoredProbe = [unknown, string, unknown, number, number];

/**
 * The records a lookup join holds until the watermark reaches their time, released in time order
 * (ties in arrival order). They are keyed state, in the `MapTable` given, under
 * `<sortableTime(time)>/<seq>`; the release queue is derived and rebuilt by {@link HeldProbes.restored}.
 */
export class HeldProbes {
  private readonly queue = new TimerHeap<HeldProbe>();

  constructor(private readonly stored: MapTable<StoredProbe>) {}

  get size(): number {
    return this.queue.size;
  }

  /** Holds a record; `seq` makes its state key unique. */
  hold(probe: Omit<HeldProbe, 'stateKey'>, seq: number): void {
    const stateKey = `${sortableTime(probe.time)}/${seq}`;
    this.stored.set(stateKey, [probe.value, probe.keyText, probe.streamKey, probe.partition, probe.offset]);
    this.queue.push(probe.time, 0, { ...probe, stateKey });
  }

  /** Removes and returns the records with time `<= watermark`, oldest first. */
  release(watermark: number): HeldProbe[] {
    const due: HeldProbe[] = [];
    while (this.queue.size > 0 && this.queue.peekTime() <= watermark) {
      const probe = this.queue.pop()!.ref;
      this.stored.delete(probe.stateKey);
      due.push(probe);
    }
    return due;
  }

  /** Rebuilds the queue from the map table after a restore, in the order the records were held. */
  restored(): void {
    const keys = [...this.stored.keys()].sort(compareHeldKeys);
    for (const stateKey of keys) {
      const [value, keyText, streamKey, partition, offset] = this.stored.get(stateKey)!;
      const time = timeOfHeldKey(stateKey);
      this.queue.push(time, 0, { time, value, keyText, streamKey, partition, offset, stateKey });
    }
  }
}

/**
 * Checks a stored held record.
 * @param value what the checkpoint holds.
 * @param key its state key, named in the error.
 * @throws StateError `STATE_CORRUPT` when it is not `[value, key text, stream key, partition, offset]`.
 */
export function decodeStoredProbe(value: unknown, key: string): StoredProbe {
  if (
    Array.isArray(value) &&
    value.length === 5 &&
    typeof value[1] === 'string' &&
    typeof value[3] === 'number' &&
    typeof value[4] === 'number'
  ) {
    return value as StoredProbe;
  }
  throw new StateError('STATE_CORRUPT', `lookup: cannot read the held record ${JSON.stringify(key)}`);
}

function timeOfHeldKey(stateKey: string): number {
  try {
    return fromSortableTime(stateKey.slice(0, stateKey.indexOf('/')));
  } catch (error) {
    throw new StateError('STATE_CORRUPT', `lookup: cannot read the held record key ${JSON.stringify(stateKey)}`, error);
  }
}

/** Time order, then the order records were held in (`seq` is a decimal number). */
function compareHeldKeys(a: string, b: string): number {
  const ta = a.slice(0, 16);
  const tb = b.slice(0, 16);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return Number(a.slice(17)) - Number(b.slice(17));
}
