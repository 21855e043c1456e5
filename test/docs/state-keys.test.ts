/**
 * Every state key layout a page quotes (`w1/w/<start>/<end>/<keyJson>`, `1/i/<id>`, `w1/m`…) is one
 * the code writes. The real keys are not copied from the source: real pipelines run here with a
 * state backend that records every key the operators put in their checkpoints.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  afterCount,
  count,
  from,
  fromArray,
  global,
  hopping,
  session,
  sliding,
  tumbling,
  type StateBackend,
  type WindowAssigner,
} from '../../src/index.js';
import { inlineCode, sentences } from './markdown-parts.js';
import { markdownFiles, root } from './markdown-files.js';

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
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  // A layout ending in `/` is a range of keys (`w2/s/<key>/`): it matches the keys it starts.
  return new RegExp(`^${source}${layout.endsWith('/') ? '' : '$'}`);
}

/** Every key layout quoted in a page's prose and tables, with its line. */
export function quotedLayouts(markdown: string): Array<{ layout: string; line: number }> {
  return sentences(markdown).flatMap(({ text, line }) =>
    inlineCode(text)
      .filter((span) => KEY_LAYOUT.test(span))
      .map((layout) => ({ layout, line })),
  );
}

/**
 * Layouts a page quotes that this version does not write, each with where it is accounted for:
 * state format 1, which a restore still reads, and the segmented dedup ids the architecture page
 * describes as the store's next step.
 */
const NOT_WRITTEN = new Map([
  ['w1/w/<start>/<end>/<keyJson>', 'state format 1, read on restore: test/state/state-format-1.test.ts'],
  ['w1/t/<time>/<keyJson>', 'state format 1, read on restore: test/state/state-format-1.test.ts'],
  ['1/i/<segment>/<id>', "docs/architecture.md: dedup's segmented ids, with the store that deletes ranges"],
]);

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

/**
 * The keys the stateful operators write: every window kind and dedup. A page that quotes the keys
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
    expect(layoutPattern('w2/s/<key>/').test('w2/s/"a"/100/200')).toBe(true);
  });

  it('every layout a page quotes matches a key the operators write', async () => {
    const keys = [...(await writtenKeys())];
    // The recorder sees each kind of key: a check against nothing would pass anything.
    for (const prefix of ['w2/m', 'w2/a/', 'w2/s/', 'w2/l/', 'w2/t/', '1/m', '1/i/'])
      expect(keys.some((k) => k.startsWith(prefix))).toBe(true);
    const wrong: string[] = [];
    for (const file of markdownFiles()) {
      for (const { layout, line } of quotedLayouts(readFileSync(file, 'utf8'))) {
        if (NOT_WRITTEN.has(layout)) continue;
        const pattern = layoutPattern(layout);
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
