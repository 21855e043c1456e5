/**
 * Every relative link in README.md and docs/**\/*.md points at a file that exists, and every
 * `#anchor` at a heading of that file (GitHub's slugs), so the docs never send readers nowhere.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownFiles, root } from './markdown-files.js';

/** GitHub's heading anchors: lower case, punctuation removed, spaces to hyphens, repeats numbered. */
export function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

/** Relative links outside code blocks and inline code. */
export function relativeLinks(markdown: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  let fenced = false;
  markdown.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      links.push({ target, line: i + 1 });
    }
  });
  return links;
}

const files = markdownFiles();

describe('docs links', () => {
  it('slugs headings and finds links the way GitHub does', () => {
    expect([
      ...headingSlugs(
        '# Time and watermarks\n## The `global()` window\n## Lateness, triggers and panes\n## A\n## A\n```\n# not a heading\n```',
      ),
    ]).toEqual(['time-and-watermarks', 'the-global-window', 'lateness-triggers-and-panes', 'a', 'a-1']);
    expect(relativeLinks('see [a](b.md#c) and [x](https://e.org) `[no](no.md)`\n```\n[no](no.md)\n```')).toEqual([
      { target: 'b.md#c', line: 1 },
    ]);
  });

  for (const file of files) {
    const name = relative(root, file);
    it(`${name}: relative links resolve`, () => {
      const broken: string[] = [];
      for (const { target, line } of relativeLinks(readFileSync(file, 'utf8'))) {
        const [path, anchor] = target.split('#');
        const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(resolved)) {
          broken.push(`${name}:${line} ${target}: no such file`);
          continue;
        }
        if (
          anchor &&
          statSync(resolved).isFile() &&
          resolved.endsWith('.md') &&
          !headingSlugs(readFileSync(resolved, 'utf8')).has(anchor)
        ) {
          broken.push(`${name}:${line} ${target}: no heading #${anchor}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
