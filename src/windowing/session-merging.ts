import type { WindowState } from './window-state.js';

/**
 * What a record's own window `[t, t + gap)` does to its key's sessions (Flink's
 * `MergingWindowSet`, for session windows): sessions that overlap or touch it
 * (`a.start <= b.end && b.start <= a.end`) merge with it into their union.
 */
export const SessionMerge = {
  /** It touches no session: it opens a new one (or is late, when its own window expired). */
  NONE: 0,
  /** It lies inside one session: the record joins that session. */
  CONTAINED: 1,
  /**
   * It touches one session that has emitted nothing and is still open: the session grows in
   * place. Unobservable as a merge (nothing was emitted for the smaller bounds), and the common
   * case of a session growing record by record.
   */
  EXTEND: 2,
  /**
   * It touches sessions that must become one new window: several sessions it bridges, or one
   * that has already emitted a pane (its results stay, retracted in `'retracting'` mode).
   */
  MERGE: 3,
} as const;
export type SessionMerge = (typeof SessionMerge)[keyof typeof SessionMerge];

/**
 * Session merging for one key: finds which of its sessions (sorted by start, no two touching) a
 * new window touches, and what merging means for them. Reused per record: `first`, `last` and
 * `at` describe the last {@link SessionMerging.locate} call.
 * @example
 * const merging = new SessionMerging();
 * if (merging.locate(sessions, t, t + gap, watermark) === SessionMerge.MERGE) … sessions.slice(merging.first, merging.last + 1) …
 */
export class SessionMerging {
  /** Index of the first session the window touches; -1 when none. */
  first = -1;
  /** Index of the last session the window touches; -1 when none. */
  last = -1;
  /** Where a new session `[lo, hi)` goes to keep the list sorted (when it touches none). */
  at = 0;

  /**
   * Locates the window `[lo, hi)` among a key's `sessions`.
   * @param sessions the key's sessions, sorted by start, none touching another.
   * @param watermark the operator's watermark: a session whose end it reached has fired.
   */
  locate(sessions: readonly WindowState[] | undefined, lo: number, hi: number, watermark: number): SessionMerge {
    let first = -1;
    let last = -1;
    let at = 0;
    if (sessions !== undefined) {
      for (let j = 0; j < sessions.length; j++) {
        const s = sessions[j];
        if (s.end < lo) {
          at = j + 1;
          continue;
        }
        if (s.start > hi) break;
        if (first < 0) first = j;
        last = j;
      }
    }
    this.first = first;
    this.last = last;
    this.at = at;
    if (first < 0) return SessionMerge.NONE;
    if (first === last) {
      const only = sessions![first];
      if (only.start <= lo && hi <= only.end) return SessionMerge.CONTAINED;
      if (only.index === 0 && watermark < only.end - 1) return SessionMerge.EXTEND;
    }
    return SessionMerge.MERGE;
  }
}
