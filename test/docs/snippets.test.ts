/**
 * Every ```ts block in README.md and docs/**\/*.md runs: imports of 'streamkit' and
 * 'streamkit/testing' are pointed at the sources, each block is written to its own module and run
 * with tsx in a child process, which must exit with status 0 and print nothing on stderr. Then all
 * blocks are type-checked together with the project's compiler options. A block that is a fragment
 * on purpose is preceded by `<!-- not-run -->`; those are only counted, so they stay few.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { markdownFiles, root } from './markdown-files.js';

const run = promisify(execFile);
// Inside the repository, so snippets resolve the project's dependencies (fast-check, rxjs…).
const workDir = join(root, 'node_modules/.cache/docs-snippets');
const NOT_RUN = '<!-- not-run -->';

interface Snippet {
  file: string;
  line: number;
  code: string;
  run: boolean;
}

/** The fenced ts blocks of one file, with whether a `<!-- not-run -->` line precedes them. */
export function extractSnippets(file: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    let j = i + 1;
    while (j < lines.length && lines[j].trim() !== fence) j++;
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    snippets.push({ file, line: i + 1, code: lines.slice(i + 1, j).join('\n'), run: !(k >= 0 && lines[k].trim() === NOT_RUN) });
    i = j;
  }
  return snippets;
}

/** Points package imports at the sources and makes the block a module of its own. */
function toModule(code: string): string {
  const src = join(root, 'src');
  return `${code
    .replace(/(from\s+|import\s*\(\s*|import\s+)(['"])streamkit\/testing\2/g, `$1$2${join(src, 'testing/index.ts')}$2`)
    .replace(/(from\s+|import\s*\(\s*|import\s+)(['"])streamkit\2/g, `$1$2${join(src, 'index.ts')}$2`)}\nexport {};\n`;
}

const snippets = markdownFiles().flatMap((file) => extractSnippets(relative(root, file), readFileSync(file, 'utf8')));
const runnable = snippets.filter((s) => s.run);
const moduleOf = new Map<Snippet, string>();

rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
// Under node_modules a file is not in the project's package scope: declare ESM for top-level await.
writeFileSync(join(workDir, 'package.json'), '{ "type": "module" }\n');
for (const s of runnable) {
  const path = join(workDir, `${s.file.replace(/[^a-zA-Z0-9]+/g, '-')}-${s.line}.ts`);
  writeFileSync(path, toModule(s.code));
  moduleOf.set(s, path);
}

describe('docs snippets', () => {
  it('finds the snippets, and only a few are marked not-run', () => {
    expect(runnable.length).toBeGreaterThan(10);
    expect(snippets.length - runnable.length).toBeLessThanOrEqual(Math.ceil(snippets.length / 4));
  });

  it('extracts blocks and honours the not-run marker', () => {
    const text = ['# t', '```ts', 'a()', '```', '<!-- not-run -->', '', '```ts', 'b()', '```', '```sh', 'c', '```'].join('\n');
    expect(extractSnippets('x.md', text)).toEqual([
      { file: 'x.md', line: 2, code: 'a()', run: true },
      { file: 'x.md', line: 7, code: 'b()', run: false },
    ]);
    expect(toModule('import { from } from \'streamkit\';\nimport { keyedEvents } from "streamkit/testing";')).toBe(
      `import { from } from '${join(root, 'src/index.ts')}';\nimport { keyedEvents } from "${join(root, 'src/testing/index.ts')}";\nexport {};\n`,
    );
  });

  for (const s of runnable) {
    it(`${s.file}:${s.line} runs`, async () => {
      const result = await run(process.execPath, ['--import', 'tsx', moduleOf.get(s)!], {
        cwd: root,
        timeout: 60_000,
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      }).then(
        ({ stderr }) => ({ code: 0, stderr }),
        (error: { code?: number; stderr?: string; signal?: string }) => ({ code: error.code ?? error.signal, stderr: error.stderr ?? '' }),
      );
      expect(result, `${s.file}:${s.line}\n${s.code}`).toEqual({ code: 0, stderr: '' });
    });
  }

  it('type-checks every runnable snippet', async () => {
    const tsconfig = join(workDir, 'tsconfig.json');
    const base = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
    writeFileSync(
      tsconfig,
      JSON.stringify({
        compilerOptions: { ...base.compilerOptions, noEmit: true, allowImportingTsExtensions: true, declaration: false },
        files: [...moduleOf.values()],
      }),
    );
    const result = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], {
      cwd: root,
      timeout: 120_000,
    }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  });
});
