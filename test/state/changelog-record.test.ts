import { describe, expect, it } from 'vitest';
import {
  CHANGELOG_FORMAT_VERSION,
  decodeChangelogKey,
  encodeMarkerKey,
  encodeStateRecordKey,
  partitionOfTask,
} from '../../src/kafka/changelog/changelog-record.js';

describe('changelog record layout (format 2)', () => {
  it('is pinned byte for byte: a changelog written now must restore in later versions', () => {
    expect(CHANGELOG_FORMAT_VERSION).toBe(2);
    expect(encodeStateRecordKey('trips/3', '2-window', 'k').toString('hex')).toBe('74726970732f3300322d77696e646f77006b');
    expect(encodeMarkerKey('trips/3').toString('hex')).toBe('74726970732f3300');
  });

  it('decodes what it encodes, including state keys holding \\x00 and non-ASCII text', () => {
    expect(decodeChangelogKey(encodeStateRecordKey('trips/3', '2-window', 'a\u0000b/é'))).toEqual({
      task: 'trips/3',
      uid: '2-window',
      key: 'a\u0000b/é',
    });
    expect(decodeChangelogKey(encodeStateRecordKey('t/0', 'b0.1/3-dedup', ''))).toEqual({ task: 't/0', uid: 'b0.1/3-dedup', key: '' });
    expect(decodeChangelogKey(encodeMarkerKey('trips/12'))).toEqual({ task: 'trips/12' });
  });

  it('ignores keys it never writes', () => {
    expect(decodeChangelogKey(Buffer.from('no separator'))).toBeUndefined();
    expect(decodeChangelogKey(Buffer.from('\u0000starts with one'))).toBeUndefined();
    expect(decodeChangelogKey(Buffer.from('task\u0000uid without key'))).toBeUndefined();
  });

  it('reads the partition from a task name', () => {
    expect(partitionOfTask('trips/0')).toBe(0);
    expect(partitionOfTask('my.topic-v2/17')).toBe(17);
    expect(() => partitionOfTask('trips')).toThrow(/does not end in/);
  });
});
