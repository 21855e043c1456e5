import { deserialize } from 'node:v8';
import type { Level } from 'level';
import { StateError } from '../core/errors.js';
import type { StateWriter } from '../core/operator.js';
import type { ResidentState } from '../core/resident-state.js';
import { ChangeLog } from './change-log.js';
import { ABSENT, ResidentEntry, type CleanEntries, type ResidentMemory } from './resident-memory.js';
import { entrySize, estimateSize } from './estimate-size.js';
import { compareUtf8, encodeKeyAfter, prefixEnd } from './state-key.js';

/** The changes of one snapshot, until the checkpoint that holds them is written. */
interface InFlight {
  changes: Map<string, ResidentEntry>;
  prefixes: string[];
  bytes: number;
}

/**
 * One operator's {@link ResidentState} in `levelState(dir, { memory })`: its keys live in LevelDB
 * under the operator's state prefix; what is in memory is three layers read newest first:
 *
 * 1. the changes since the last snapshot (dirty),
 * 2. the changes of snapshots whose checkpoint is being written (in flight),
 * 3. clean entries in the backend's shared cache ({@link ResidentMemory}),
 *
 * and below them LevelDB itself, read synchronously on a miss. LevelDB always holds exactly the
 * last complete checkpoint, so a crash loses only what a restart replays from the source anyway,
 * and a restart reads nothing until a key is asked for.
 * @example
 * const store = backend.residentState('dedup#0');
 * store.put('g/3/trip-7', 1_700_000_000_000);
 * store.snapshot(writer); // the changes go into the checkpoint
 */
export class ResidentStore implements ResidentState {
  /** Changes since the last snapshot: entries whose value is the new one or {@link ABSENT}. */
  private dirty = new Map<string, ResidentEntry>();
  /** Clean entries of this store, in the backend's shared cache (order and budget are shared). */
  private readonly clean: CleanEntries = new Map();
  private dirtyBytes = 0;
  private readonly inFlight: InFlight[] = [];
  /** Prefixes deleted since the last snapshot. */
  private deletedPrefixes: string[] = [];
  /** Prefixes deleted whose keys may still be in LevelDB: reads under them find nothing. */
  private retired: string[] = [];

  /**
   * @param uid the operator, named in errors.
   * @param keyPrefix the LevelDB prefix of the operator's entries (`statePrefix(uid, generation)`).
   */
  constructor(
    readonly uid: string,
    private readonly keyPrefix: Buffer,
    private readonly db: Level<Buffer, Buffer>,
    private readonly memory: ResidentMemory,
  ) {}

  get(key: string): unknown {
    const change = this.dirty.get(key) ?? this.inFlightChange(key);
    const memory = this.memory;
    if (change !== undefined) {
      memory.hits.value++;
      return change.value === ABSENT ? undefined : change.value;
    }
    const cached = memory.lookup(this.clean, key);
    if (cached !== undefined) {
      memory.hits.value++;
      return cached.value === ABSENT ? undefined : cached.value;
    }
    if (this.retired.length > 0 && this.isRetired(key)) return undefined;
    memory.misses.value++;
    const bytes = this.db.getSync(encodeKeyAfter(this.keyPrefix, key));
    // A key LevelDB does not have is not cached: most are written next (a new key), or never
    // asked for again (dedup's older generations), and LevelDB answers a miss in under a µs.
    if (bytes === undefined) return undefined;
    memory.readBytes.value += bytes.length;
    let value: unknown;
    try {
      value = deserialize(bytes);
    } catch (error) {
      throw new StateError('STATE_CORRUPT', `operator ${this.uid}: unreadable state value under ${JSON.stringify(key)} on disk`, error);
    }
    memory.admit(new ResidentEntry(this.clean, key, value, entrySize(key, bytes.length)));
    return value;
  }

  put(key: string, value: unknown): void {
    if (this.retired.length > 0 && this.isRetired(key)) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `operator ${this.uid}: state key ${JSON.stringify(key)} lies under a prefix deleted with deletePrefix, which retires it for good`,
      );
    }
    this.record(key, value, entrySize(key, estimateSize(value)));
  }

  delete(key: string): void {
    this.record(key, ABSENT, entrySize(key, 0));
  }

  deletePrefix(prefix: string): void {
    for (const [key, change] of this.dirty) {
      if (key.startsWith(prefix)) {
        this.dirty.delete(key);
        this.dirtyBytes -= change.bytes;
        this.memory.changed(-change.bytes);
      }
    }
    for (const flight of this.inFlight) for (const key of flight.changes.keys()) if (key.startsWith(prefix)) flight.changes.delete(key);
    this.memory.forgetPrefix(this.clean, prefix);
    this.retired.push(prefix);
    this.deletedPrefixes.push(prefix);
  }

  snapshot(writer: StateWriter): void {
    if (this.deletedPrefixes.length > 0) {
      if (!writer.deletePrefix) throw new TypeError(`operator ${this.uid}: the checkpoint writer cannot delete a range of keys`);
      for (const prefix of this.deletedPrefixes) writer.deletePrefix(prefix);
    }
    if (writer.writeEncoded) {
      // Encoded now, into a few buffers outside the heap: the operator goes on changing its values.
      const log = new ChangeLog();
      for (const [key, change] of this.dirty) {
        if (change.value === ABSENT) log.delete(key);
        else {
          try {
            log.put(key, change.value);
          } catch (error) {
            throw new StateError(
              'STATE_CORRUPT',
              `operator ${this.uid} put a state value under ${JSON.stringify(key)} that cannot be serialized (functions, symbols and class prototypes are not stored)`,
              error,
            );
          }
        }
      }
      writer.writeEncoded(log);
    } else {
      for (const [key, change] of this.dirty) {
        if (change.value === ABSENT) writer.delete(key);
        else writer.put(key, change.value);
      }
    }
    this.inFlight.push({ changes: this.dirty, prefixes: this.deletedPrefixes, bytes: this.dirtyBytes });
    this.memory.snapshotted(this.dirtyBytes);
    this.dirty = new Map();
    this.dirtyBytes = 0;
    this.deletedPrefixes = [];
  }

  /**
   * The oldest snapshot's checkpoint was written (its range deletes applied): its changes become
   * clean entries of the cache, unless a newer change supersedes them.
   */
  written(): void {
    const flight = this.inFlight.shift();
    if (!flight) return;
    this.memory.landed(flight.bytes, false);
    if (flight.prefixes.length > 0) this.retired = this.retired.filter((p) => !flight.prefixes.includes(p));
    for (const [key, change] of flight.changes) {
      if (this.dirty.has(key) || this.inFlightChange(key) !== undefined) continue;
      this.memory.admit(change);
    }
  }

  /** The oldest snapshot's checkpoint was not written: its changes go back to the next snapshot. */
  failed(): void {
    const flight = this.inFlight.shift();
    if (!flight) return;
    this.memory.landed(flight.bytes, true);
    for (const [key, change] of flight.changes) {
      if (this.dirty.has(key) || this.inFlightChange(key) !== undefined) {
        this.memory.changed(-change.bytes);
        continue;
      }
      this.dirty.set(key, change);
      this.dirtyBytes += change.bytes;
    }
    this.deletedPrefixes = [...flight.prefixes, ...this.deletedPrefixes];
  }

  /**
   * The store is done with (its task moved to another instance): its clean entries leave the
   * shared cache and its changes leave the account of pending bytes, since no checkpoint will
   * write them here.
   */
  discard(): void {
    this.memory.forgetPrefix(this.clean, '');
    this.memory.changed(-this.dirtyBytes);
    for (const flight of this.inFlight.splice(0)) this.memory.landed(flight.bytes, false);
    this.dirty = new Map();
    this.dirtyBytes = 0;
    this.deletedPrefixes = [];
  }

  async *keys(prefix: string): AsyncIterable<string> {
    // The changes not yet written, newest last so that they win, then merged in key order with
    // the keys LevelDB holds.
    const overlay = new Map<string, boolean>();
    for (const layer of [...this.inFlight.map((f) => f.changes), this.dirty]) {
      for (const [key, change] of layer) if (key.startsWith(prefix)) overlay.set(key, change.value !== ABSENT);
    }
    const pending = [...overlay.keys()].sort(compareUtf8);
    let next = 0;
    const start = encodeKeyAfter(this.keyPrefix, prefix);
    const iterator = this.db.keys({ gte: start, lt: prefixEnd(start) });
    const skip = this.keyPrefix.length;
    try {
      for (;;) {
        const batch = await iterator.nextv(1024);
        if (batch.length === 0) break;
        for (const bytes of batch) {
          const key = bytes.toString('utf8', skip);
          while (next < pending.length && compareUtf8(pending[next], key) < 0) {
            if (overlay.get(pending[next])) yield pending[next];
            next++;
          }
          if (next < pending.length && pending[next] === key) {
            if (overlay.get(key)) yield key;
            next++;
            continue;
          }
          if (this.isRetired(key)) continue;
          yield key;
        }
      }
    } finally {
      await iterator.close();
    }
    for (; next < pending.length; next++) if (overlay.get(pending[next])) yield pending[next];
  }

  private record(key: string, value: unknown, bytes: number): void {
    const old = this.dirty.get(key);
    if (old !== undefined) {
      this.dirtyBytes += bytes - old.bytes;
      this.memory.changed(bytes - old.bytes);
      old.value = value;
      old.bytes = bytes;
      return;
    }
    // A cached key's entry leaves the cache and becomes the change.
    const entry = this.memory.take(this.clean, key);
    if (entry === undefined) this.dirty.set(key, new ResidentEntry(this.clean, key, value, bytes));
    else {
      entry.value = value;
      entry.bytes = bytes;
      this.dirty.set(key, entry);
    }
    this.dirtyBytes += bytes;
    this.memory.changed(bytes);
  }

  private inFlightChange(key: string): ResidentEntry | undefined {
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      const change = this.inFlight[i].changes.get(key);
      if (change !== undefined) return change;
    }
    return undefined;
  }

  private isRetired(key: string): boolean {
    for (const prefix of this.retired) if (key.startsWith(prefix)) return true;
    return false;
  }
}
