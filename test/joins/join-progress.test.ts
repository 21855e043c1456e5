import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import { checkedJoinProgress } from '../../src/joins/join-progress.js';
import { joinSpecOf } from '../../src/joins/join-options.js';
import { lookupSpecOf } from '../../src/joins/lookup-options.js';

/** What `fn` throws (it must throw a StateError). */
function thrown(fn: () => unknown): StateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StateError);
    return error as StateError;
  }
  throw new Error('expected a StateError');
}

describe('the progress in a join or lookup meta entry', () => {
  const spec = joinSpecOf({ within: '10ms' });

  it('is read when it was written with the same options', () => {
    expect(checkedJoinProgress('join', 'j1/m', { ...spec, watermark: 7, seq: 3, buffered: [1, 0] }, spec, 'buffers')).toEqual({
      watermark: 7,
      seq: 3,
    });
  });

  it('is refused when written with other options, naming both', () => {
    const error = thrown(() => checkedJoinProgress('join', 'jr1/m', { ...spec, kind: 'left', watermark: 7, seq: 3 }, spec, 'buffers'));
    expect(error.code).toBe('STATE_INCOMPATIBLE');
    expect(error.message).toBe(
      'join: the checkpoint was taken with { before: 10, after: 10, kind: left, allowedLateness: 0 }, this join has ' +
        '{ before: 10, after: 10, kind: inner, allowedLateness: 0 }; its buffers mean something else: use a new state directory or the same join',
    );
    const lookup = lookupSpecOf({}, 'versioned');
    const stale = { kind: lookup.kind, allowedLateness: 5, table: lookup.table, watermark: 0, seq: 0 };
    expect(thrown(() => checkedJoinProgress('lookup', 'l1/m', stale, lookup, 'table versions')).message).toMatch(
      /^lookup: the checkpoint was taken with \{ kind: inner, allowedLateness: 5, table: versioned \}, this lookup has \{ kind: inner, allowedLateness: 0, table: versioned \}/,
    );
  });

  it('is refused as corrupt when the entry holds no watermark or sequence', () => {
    for (const value of [undefined, null, 5, { ...spec, seq: 1 }, { ...spec, watermark: 1, seq: '2' }]) {
      const error = thrown(() => checkedJoinProgress('join', 'j1/m', value, spec, 'buffers'));
      expect(error.code).toBe('STATE_CORRUPT');
      expect(error.message).toBe('join: cannot read j1/m');
    }
  });
});
