/**
 * The bundle `npm run taxi` starts from: built once, reused while no source changed, rebuilt when
 * one did, and the command runs from it with the same output as through tsx.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript, run before anything compiles TypeScript; it has no type declarations.
import { cachedBuild, isFresh } from '../../scripts/lib/cached-build.mjs';

/** A small project: an entry importing a helper, and the config files the check watches. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'cached-build-'));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(root, 'tsconfig.json'), '{}\n');
  writeFileSync(
    join(root, 'src', 'entry.ts'),
    "import { greeting } from './greeting.js';\nexport const text: string = greeting('world');\n",
  );
  writeFileSync(join(root, 'src', 'greeting.ts'), 'export const greeting = (name: string): string => `hello ${name}`;\n');
  return root;
}

async function textOf(file: string): Promise<string> {
  // A query string per import: the module cache would hand back the first bundle otherwise.
  const module = await import(`${pathToFileURL(file).href}?${Math.random()}`);
  return module.text;
}

describe('cachedBuild', () => {
  it('builds once, then reuses the bundle while no source changed', async () => {
    const root = project();
    const cacheDir = join(root, 'cache');
    const first = await cachedBuild({ root, entry: 'src/entry.ts', cacheDir });
    expect(first.built).toBe(true);
    expect(await textOf(first.file)).toBe('hello world');
    const second = await cachedBuild({ root, entry: 'src/entry.ts', cacheDir });
    expect(second).toEqual({ file: first.file, built: false });
  });

  it('rebuilds when an imported source, the package manifest or tsconfig changes', async () => {
    const root = project();
    const cacheDir = join(root, 'cache');
    const { file } = await cachedBuild({ root, entry: 'src/entry.ts', cacheDir });
    writeFileSync(join(root, 'src', 'greeting.ts'), 'export const greeting = (name: string): string => `hi ${name}`;\n');
    expect(isFresh(root, cacheDir, file)).toBe(false);
    const rebuilt = await cachedBuild({ root, entry: 'src/entry.ts', cacheDir });
    expect(rebuilt.built).toBe(true);
    expect(await textOf(rebuilt.file)).toBe('hi world');

    for (const config of ['package.json', 'tsconfig.json']) {
      expect(isFresh(root, cacheDir, file)).toBe(true);
      // Same content, another modification time: the check does not read files, so it rebuilds.
      const earlier = new Date(Date.now() - 60_000);
      utimesSync(join(root, config), earlier, earlier);
      expect(isFresh(root, cacheDir, file)).toBe(false);
      expect((await cachedBuild({ root, entry: 'src/entry.ts', cacheDir })).built).toBe(true);
    }
  });

  it('rebuilds when the bundle or its manifest is gone', async () => {
    const root = project();
    const cacheDir = join(root, 'cache');
    const { file } = await cachedBuild({ root, entry: 'src/entry.ts', cacheDir });
    writeFileSync(join(cacheDir, 'sources.json'), 'not json');
    expect(isFresh(root, cacheDir, file)).toBe(false);
    expect((await cachedBuild({ root, entry: 'src/entry.ts', cacheDir })).built).toBe(true);
  });

  it('throws when the sources do not build, and leaves the previous bundle in place', async () => {
    const root = project();
    const cacheDir = join(root, 'cache');
    const { file } = await cachedBuild({ root, entry: 'src/entry.ts', cacheDir });
    const before = readFileSync(file, 'utf8');
    writeFileSync(join(root, 'src', 'greeting.ts'), 'export const greeting = (name: string): string => `hi ${name}\n');
    await expect(cachedBuild({ root, entry: 'src/entry.ts', cacheDir })).rejects.toThrow();
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('npm run taxi from the bundle', () => {
  it('writes the same outputs as the job run through tsx', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taxi-bundle-'));
    const run = (command: string[], out: string) => {
      const r = spawnSync(process.execPath, [...command, '--events', '300', '--no-batch-check', '--out', join(dir, out)], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.stderr).not.toMatch(/could not bundle/);
      expect(r.status).toBe(0);
    };
    run(['scripts/taxi.mjs'], 'bundle');
    run(['--import', 'tsx', 'examples/taxi/cli.ts'], 'tsx');
    for (const file of ['silver.jsonl', 'bronze.jsonl', 'late.jsonl', 'gold/zone-5m.jsonl', 'gold/hourly.jsonl', 'gold/daily.jsonl']) {
      expect(readFileSync(join(dir, 'bundle', file), 'utf8'), file).toBe(readFileSync(join(dir, 'tsx', file), 'utf8'));
    }
  });
});
