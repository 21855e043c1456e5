import { describe, expect, it } from 'vitest';
import { SessionMerge, SessionMerging } from '../../src/windowing/session-merging.js';
import { newWindowState } from '../../src/windowing/window-state.js';

const sessions = (...bounds: Array<[number, number, number?]>) =>
  bounds.map(([start, end, index = 0]) => Object.assign(newWindowState('k', 'k', start, end, 0, 1), { index }));

describe('SessionMerging.locate', () => {
  const m = new SessionMerging();

  it('a window touching nothing opens a session where the list stays sorted', () => {
    expect(m.locate(undefined, 5, 10, -Infinity)).toBe(SessionMerge.NONE);
    expect(m.locate(sessions([0, 3], [20, 25]), 5, 10, -Infinity)).toBe(SessionMerge.NONE);
    expect([m.first, m.last, m.at]).toEqual([-1, -1, 1]);
  });

  it('a window inside one session joins it', () => {
    expect(m.locate(sessions([0, 10]), 2, 8, -Infinity)).toBe(SessionMerge.CONTAINED);
    expect([m.first, m.last]).toEqual([0, 0]);
  });

  it('a window touching one open session that emitted nothing grows it in place; touching counts (end = start)', () => {
    expect(m.locate(sessions([0, 10]), 10, 20, 5)).toBe(SessionMerge.EXTEND);
    expect(m.locate(sessions([10, 20]), 0, 10, 5)).toBe(SessionMerge.EXTEND);
  });

  it('a window bridging sessions, or touching one that fired or emitted, makes a new merged window', () => {
    expect(m.locate(sessions([0, 10], [15, 25], [40, 50]), 8, 18, -Infinity)).toBe(SessionMerge.MERGE);
    expect([m.first, m.last]).toEqual([0, 1]);
    expect(m.locate(sessions([0, 10, 1]), 10, 20, 5)).toBe(SessionMerge.MERGE);
    // The watermark reached the session's end: it fired its on-time pane (or would have).
    expect(m.locate(sessions([0, 10]), 10, 20, 9)).toBe(SessionMerge.MERGE);
  });
});
