import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from '../e2e/input-files.js';

// The synthetic inputs of the state-scale benchmark: many distinct keys, little work per record,
// so the cost measured is keyed state. Deterministic: the same size always gives the same bytes.

/** Event time of the first record: 2024-01-01T00:00:00Z. */
export const START_MS = Date.UTC(2024, 0, 1);
const HOUR_MS = 3_600_000;

/** murmur3's 32-bit finaliser: a bijection on unsigned 32-bit integers that mixes every bit. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const hex8 = (x: number) => x.toString(16).padStart(8, '0');

/**
 * The id of the `k`-th distinct key, 16 hex digits. Distinct for every `k` below 2³²: the first
 * half is a bijection of `k`.
 * @example idOf(0) // '…' (16 hex digits)
 */
export function idOf(k: number): string {
  return hex8(fmix32(k + 0x9e3779b9)) + hex8(fmix32(Math.imul(k, 0x2545f491) + 0x7f4a7c15));
}

/** A small deterministic PRNG (mulberry32), uniform in [0, 1). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One line of the dedup input. */
export interface IdEvent {
  id: string;
  /** Event time, epoch ms. */
  t: number;
}

/** Shape of a dedup input. */
export interface IdInputSpec {
  /** Distinct ids. */
  distinct: number;
  /** Share of the lines that repeat an id seen within the last hour of event time, in [0, 1). */
  duplicateShare: number;
  /** Event time the lines span, ms. */
  spanMs: number;
  /** Each line's time is off the even spacing by up to ± this (kept below the 1-minute watermark delay). */
  jitterMs: number;
}

/**
 * Lines of `{ id, t }` in roughly increasing event time over `spanMs`: `distinct` ids, each first
 * seen once, and duplicates spread evenly among them (a share `duplicateShare` of all lines), each
 * repeating an id first seen at most an hour of event time earlier.
 * @example [...idEvents({ distinct: 3, duplicateShare: 0, spanMs: 1000, jitterMs: 0 })].length // 3
 */
export function* idEvents(spec: IdInputSpec): Generator<IdEvent> {
  const { distinct, duplicateShare, spanMs, jitterMs } = spec;
  if (!(duplicateShare >= 0 && duplicateShare < 1)) throw new RangeError(`duplicateShare must be in [0, 1), got ${duplicateShare}`);
  const total = Math.round(distinct / (1 - duplicateShare));
  const duplicates = total - distinct;
  const perHour = Math.max(1, Math.ceil((distinct * HOUR_MS) / spanMs));
  const rnd = random(0x5eed);
  let seen = 0;
  for (let i = 0; i < total; i++) {
    // Bresenham's spread: exactly `duplicates` of the lines are duplicates, never the first.
    const duplicate = Math.floor(((i + 1) * duplicates) / total) > Math.floor((i * duplicates) / total) && seen > 0;
    const jitter = jitterMs === 0 ? 0 : Math.floor((rnd() * 2 - 1) * jitterMs);
    const t = START_MS + Math.floor((i * spanMs) / total) + jitter;
    if (duplicate) {
      const from = Math.max(0, seen - perHour);
      yield { id: idOf(from + Math.floor(rnd() * (seen - from))), t };
    } else {
      yield { id: idOf(seen++), t };
    }
  }
}

/** One line of the sessions input. */
export interface KeyEvent {
  k: string;
  t: number;
}

/** Gap of the session windows the sessions input is made for. */
export const SESSION_GAP_MS = 30 * 60_000;
/** A key's second event comes this long after its first: inside the gap (one session of two)… */
const SAME_SESSION_MS = 20 * 60_000;
/** …or beyond it (two sessions of one). */
const NEW_SESSION_MS = 45 * 60_000;
/** The first events of all keys fall within this span, so most sessions are open at the same time. */
const FIRST_EVENTS_SPAN_MS = HOUR_MS;

/** The key of the `k`-th distinct session key. */
export function keyOf(k: number): string {
  return 'k' + hex8(fmix32(k + 0x3c6ef372));
}

/** Whether key `k`'s second event opens a new session (half the keys, by a hash). */
const opensSecondSession = (k: number) => (fmix32(k ^ 0x1b873593) & 1) === 1;

/**
 * Two events per key, in event-time order, times on whole seconds: the first events of the `keys`
 * keys spread evenly over the first hour; half the keys see their second event 20 minutes later
 * (same session), the other half 45 minutes later (a second session, with a 30-minute gap).
 * @example [...keyEvents(2)].length // 4
 */
export function* keyEvents(keys: number): Generator<KeyEvent> {
  const firstAt = (k: number) => START_MS + Math.floor((k * FIRST_EVENTS_SPAN_MS) / keys / 1000) * 1000;
  // Three streams already in time order: first events, second events 20 min later, 45 min later.
  const next = (from: number, opens: boolean) => {
    let k = from;
    while (k < keys && opensSecondSession(k) !== opens) k++;
    return k;
  };
  let first = 0;
  let same = next(0, false);
  let later = next(0, true);
  while (first < keys || same < keys || later < keys) {
    const tFirst = first < keys ? firstAt(first) : Infinity;
    const tSame = same < keys ? firstAt(same) + SAME_SESSION_MS : Infinity;
    const tLater = later < keys ? firstAt(later) + NEW_SESSION_MS : Infinity;
    if (tFirst <= tSame && tFirst <= tLater) {
      yield { k: keyOf(first), t: tFirst };
      first++;
    } else if (tSame <= tLater) {
      yield { k: keyOf(same), t: tSame };
      same = next(same + 1, false);
    } else {
      yield { k: keyOf(later), t: tLater };
      later = next(later + 1, true);
    }
  }
}

/**
 * The sessions the sessions input makes: one per key whose second event is in the same session,
 * two for the others.
 * @example expectedSessions(1000) // between 1000 and 2000
 */
export function expectedSessions(keys: number): number {
  let n = 0;
  for (let k = 0; k < keys; k++) n += opensSecondSession(k) ? 2 : 1;
  return n;
}

async function writeLines(file: string, lines: Iterable<unknown>): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial, { highWaterMark: 1 << 20 });
  let chunk = '';
  for (const line of lines) {
    chunk += JSON.stringify(line) + '\n';
    if (chunk.length >= 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(partial, file);
}

async function ensure(name: string, lines: () => Iterable<unknown>): Promise<string> {
  const file = join(DATA_DIR, name);
  if (!existsSync(file)) await writeLines(file, lines());
  return file;
}

/** Lines of the dedup job: `ids` distinct ids with 5 % duplicates over 24 h. */
export const dedupIdsSpec = (ids: number): IdInputSpec => ({
  distinct: ids,
  duplicateShare: 0.05,
  spanMs: 24 * HOUR_MS,
  jitterMs: 20_000,
});

/**
 * The restart and checkpoint jobs' input: `keys` distinct ids over 12 hours (so none expires
 * from a 24-hour dedup), then 2 % more at the same rate: the input a restored job goes on with.
 */
export const stateIdsSpec = (keys: number): IdInputSpec => {
  const distinct = keys + 2 * Math.ceil(keys / 100);
  return { distinct, duplicateShare: 0, spanMs: Math.round((12 * HOUR_MS * distinct) / keys), jitterMs: 0 };
};

/** The dedup job's input file, written once to bench/.data. */
export const ensureDedupIds = (ids: number) => ensure(`state-dedup-ids-${ids}.jsonl`, () => idEvents(dedupIdsSpec(ids)));
/** The sessions job's input file, written once to bench/.data. */
export const ensureSessionKeys = (keys: number) => ensure(`state-session-keys-${keys}.jsonl`, () => keyEvents(keys));
/** The restart and checkpoint jobs' input file, written once to bench/.data. */
export const ensureStateIds = (keys: number) => ensure(`state-ids-${keys}.jsonl`, () => idEvents(stateIdsSpec(keys)));
