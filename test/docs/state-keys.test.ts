/**
 * Every state key layout a page quotes (`w1/w/<start>/<end>/<keyJson>`, `1/i/<id>`, `w1/m`…) is one
 * the code writes. The real keys are not copied from the source: real pipelines run here with a
 * state backend that records every key the operators put in their checkpoints.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  afterCount,
  count,
  from,
  fromArray,
  global,
  hopping,
  levelState,
  listState,
  mapState,
  session,
  sliding,
  table,
  tumbling,
  valueState,
  type StateBackend,
  type WindowAssigner,
} from '../../src/index.js';
import { legacyW1Layout } from '../../src/windowing/window-state-layout.js';
import { inlineCode, sentences } from './markdown-parts.js';
import { markdownFiles, root } from './markdown-files.js';

/** Version prefixes of older layouts the operators read on restore and rewrite, never write. */
const LEGACY_PREFIXES = [legacyW1Layout(() => '').prefix];

/** A quoted key layout: a version prefix and a lower-case tag, then placeholders or literal parts. */
const KEY_LAYOUT = /^[a-z]{0,3}\d+\/[a-z]\w*(?:\/\S*)?$/;

/**
 * The regular expression a quoted layout stands for: `<name>` is one part (any text but `/`, or
 * anything when it ends the key: a key's JSON may hold `/`); `…` or `...` is anything.
 */
export function layoutPattern(layout: string): RegExp {
  const parts = layout.split(/(<[^>]+>|…|\.\.\.)/).filter((p) => p !== '');
  const source = parts
    .map((part, i) => {
      if (part === '…' || part === '...') return '.*';
      if (part.startsWith('<')) return i === parts.length - 1 ? '.+' : '[^/]+';
      // A layout ending in `/` is a prefix: the range of keys under it.
      if (i === parts.length - 1 && part.endsWith('/')) return `${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`;
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** Every key layout quoted in a page's prose and tables, with its line. */
export function quotedLayouts(markdown: string): Array<{ layout: string; line: number }> {
  return sentences(markdown).flatMap(({ text, line }) =>
    inlineCode(text)
      .filter((span) => KEY_LAYOUT.test(span))
      .map((layout) => ({ layout, line })),
  );
}

/** A state backend that keeps nothing but the keys each checkpoint writes. */
function keyRecorder(keys: Set<string>): StateBackend {
  return {
    name: 'key-recorder',
    open: async () => undefined,
    write: async (checkpoint) => {
      for (const changes of checkpoint.operators.values()) for (const key of changes.puts.keys()) keys.add(key);
    },
    close: async () => {},
  };
}

/** `levelState(dir, { memory })`, recording the keys each checkpoint writes (resident operators' too). */
function recordingLevelState(keys: Set<string>, dir: string): StateBackend {
  const backend = levelState(dir, { memory: '1MB' });
  return new Proxy(backend, {
    get(target, property) {
      if (property === 'write') {
        return async (checkpoint: Parameters<StateBackend['write']>[0]) => {
          for (const changes of checkpoint.operators.values()) {
            for (const key of changes.puts.keys()) keys.add(key);
            // A resident operator's snapshot comes encoded in bulk.
            for (const encoded of changes.encoded ?? []) {
              for (const { key, value } of encoded.changes()) if (value !== undefined) keys.add(Buffer.from(key).toString('utf8'));
            }
          }
          return target.write(checkpoint);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The keys the stateful operators write: every window kind, dedup, a process function (heap and
 * resident), an interval join and a lookup join (heap and resident). A page
 * that quotes the keys
 * of another operator needs a pipeline with it here.
 */
async function writtenKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  const events = Array.from({ length: 40 }, (_, i) => ({ id: `e${i % 30}`, user: `u${i % 3}`, at: 1_000 * i }));
  const assigners: WindowAssigner[] = [tumbling('10s'), hopping('10s', '5s'), sliding('10s'), session('3s'), global()];
  for (const assigner of assigners) {
    await from(fromArray(events, { batchSize: 4 }))
      .withTimestamps((e) => e.at)
      .dedup((e) => e.id, { within: '1m' })
      .keyBy((e) => e.user)
      .window(assigner, assigner.kind === 'global' ? { trigger: afterCount(5) } : { allowedLateness: '1m' })
      .aggregate(count())
      .collect({ state: keyRecorder(keys), checkpointEvery: { records: 8 } });
  }
  // Session, tumbling and sliding windows resident in LevelDB (a memory budget).
  for (const assigner of [session('3s'), tumbling('10s'), sliding('10s')]) {
    const dir = mkdtempSync(join(tmpdir(), 'streamkit-doc-keys-'));
    try {
      await from(fromArray(events, { batchSize: 4 }))
        .withTimestamps((e) => e.at)
        .keyBy((e) => e.user)
        .window(assigner, { allowedLateness: '1m' })
        .aggregate(count())
        .collect({ state: recordingLevelState(keys, dir), checkpointEvery: { records: 8 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // A process function with every kind of state, a TTL and timers pending at the checkpoints: in the
  // heap with both kinds of timer; on disk (levelState(dir, { memory })) with a second event-time
  // timer due within the watermark's bucket, so read buckets are checkpointed too.
  const counting = (resident: boolean) =>
    from(fromArray(events, { batchSize: 4 }))
      .withTimestamps((e) => e.at)
      .keyBy((e) => e.user)
      .process(
        {
          state: { n: valueState<number>(), ids: mapState<string, number>(), recent: listState<string>() },
          onRecord(e, ctx) {
            ctx.state.n.set((ctx.state.n.get() ?? 0) + 1);
            ctx.state.ids.set(e.id, e.at);
            ctx.state.recent.add(e.id);
            ctx.timers.atEventTime(e.at + 100_000);
            if (resident) ctx.timers.atEventTime(e.at + 2_500);
            else ctx.timers.atProcessingTime(ctx.timers.currentProcessingTime() + 3_600_000);
          },
        },
        { ttl: '1h' },
      );
  await counting(false).collect({ state: keyRecorder(keys), checkpointEvery: { records: 8 } });
  const dir = mkdtempSync(join(tmpdir(), 'streamkit-doc-keys-'));
  try {
    await counting(true).collect({ state: recordingLevelState(keys, dir), checkpointEvery: { records: 8 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // An interval join, both sides holding records at the checkpoints.
  const side = () =>
    from(fromArray(events, { batchSize: 4 }))
      .withTimestamps((e) => e.at)
      .keyBy((e) => e.user);
  await side()
    .join(side(), { within: '1m' }, (l, r) => `${l.id}+${r.id}`)
    .collect({ state: keyRecorder(keys), checkpointEvery: { records: 8 } });
  // A lookup join over a versioned table, records held for the table's watermark at the checkpoints.
  const users = table(
    from(fromArray(events, { batchSize: 4 })).withTimestamps((e) => e.at + 10_000),
    (e) => e.user,
  );
  await side()
    .lookup(
      users,
      (e) => e.user,
      (e, u) => `${e.id}:${u.id}`,
    )
    .collect({ state: keyRecorder(keys), checkpointEvery: { records: 8 } });
  // Both joins again with their state on disk (layouts `jr1` and `lr1`).
  const residentDir = mkdtempSync(join(tmpdir(), 'streamkit-doc-keys-'));
  try {
    await side()
      .join(side(), { within: '1m' }, (l, r) => `${l.id}+${r.id}`)
      .collect({ state: recordingLevelState(keys, join(residentDir, 'join')), checkpointEvery: { records: 8 } });
    await side()
      .lookup(
        users,
        (e) => e.user,
        (e, u) => `${e.id}:${u.id}`,
      )
      .collect({ state: recordingLevelState(keys, join(residentDir, 'lookup')), checkpointEvery: { records: 8 } });
  } finally {
    rmSync(residentDir, { recursive: true, force: true });
  }
  return keys;
}

describe('docs: quoted state key layouts', () => {
  it('reads layouts and turns them into patterns', () => {
    expect(quotedLayouts('Keys are `w1/w/<start>/<end>/<keyJson>` and `1/i/<id>`, not `a/b` or `w1`.\n\n| `w1/m` | meta |')).toEqual([
      { layout: 'w1/w/<start>/<end>/<keyJson>', line: 1 },
      { layout: '1/i/<id>', line: 1 },
      { layout: 'w1/m', line: 3 },
    ]);
    expect(layoutPattern('w1/w/<start>/<end>/<keyJson>').test('w1/w/100/10a/"a/b"')).toBe(true);
    expect(layoutPattern('1/w/…').test('w1/w/100/10a/"a"')).toBe(false);
    expect(layoutPattern('w1/m').test('w1/mx')).toBe(false);
    expect(layoutPattern('w2/s/<key>/').test('w2/s/"a"/0000000000000064/00000000000003e8')).toBe(true);
    expect(layoutPattern('w2/s/<key>/').test('w2/a/"a"/1')).toBe(false);
  });

  it('every layout a page quotes matches a key the operators write', async () => {
    const keys = [...(await writtenKeys())];
    // The recorder sees each kind of key: a check against nothing would pass anything.
    for (const prefix of [
      'w2/m',
      'w2/a/',
      'w2/s/',
      'w2/l/',
      'w2/t/',
      'wr1/m',
      'wr1/s/',
      'wr1/t/',
      'wr1/a/',
      'wr1/k/',
      'wr1/l/',
      '1/m',
      '1/i/',
      'p1/m',
      'p1/v/',
      'p1/k/',
      'p1/l/',
      'p1/e/',
      'p1/p/',
      'p1/x/',
      'r1/m',
      'r1/n/',
      'r1/v/',
      'r1/k/',
      'r1/l/',
      'r1/e/',
      'r1/x/',
      'r1/s/',
      'r1/t/e/',
      'r1/t/x/',
      'r1/q/',
      'j1/m',
      'j1/b/',
      'l1/m',
      'l1/v/',
      'l1/p/',
    ])
      expect(
        keys.some((k) => k.startsWith(prefix)),
        prefix,
      ).toBe(true);
    const wrong: string[] = [];
    for (const file of markdownFiles()) {
      for (const { layout, line } of quotedLayouts(readFileSync(file, 'utf8'))) {
        const pattern = layoutPattern(layout);
        // An older layout a page describes is one the operators still read, not one they write.
        if (LEGACY_PREFIXES.some((prefix) => layout.startsWith(prefix))) continue;
        if (!keys.some((key) => pattern.test(key))) {
          wrong.push(
            `${relative(root, file)}:${line} \`${layout}\` matches no key the operators write (writtenKeys() in this file runs them)`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
