/**
 * Every name a page says streamkit exports is exported: names imported from 'streamkit' or
 * 'streamkit/testing' in any code block (run or not, any language) or inline code, names a
 * sentence calls exported, and the first column of a table headed "export". The real exports are
 * read from the entry points with the TypeScript compiler, types included.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocks, inlineCode, sentences } from './markdown-parts.js';
import { markdownFiles, root } from './markdown-files.js';

type Entry = 'streamkit' | 'streamkit/testing';
const ENTRY_FILES: Record<Entry, string> = { streamkit: 'src/index.ts', 'streamkit/testing': 'src/testing/index.ts' };

/** The names each entry point exports (values and types), as the compiler sees them. */
function realExports(): Record<Entry, Set<string>> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  const files = Object.values(ENTRY_FILES).map((f) => join(root, f));
  const program = ts.createProgram(files, { ...config!.options, noEmit: true });
  const checker = program.getTypeChecker();
  const names = (file: string) => {
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    return new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
  };
  return { streamkit: names(files[0]), 'streamkit/testing': names(files[1]) };
}

/** A name a page claims an entry point exports, and where. */
export interface ExportClaim {
  name: string;
  /** The entry point named beside the claim, or both when the page does not say which. */
  from: Entry | 'either';
  line: number;
  how: string;
}

const IMPORT = /import\s+(type\s+)?(?:(\w+)\s*,?\s*)?(?:\{([^}]*)\})?\s*from\s*['"](streamkit(?:\/testing)?)['"]/g;
const REQUIRE = /const\s*\{([^}]*)\}\s*=\s*require\(\s*['"](streamkit(?:\/testing)?)['"]\s*\)/g;

/** The names an import list brings in: `a, type B, c as d` gives a, B, c. */
function importedNames(list: string): string[] {
  return list
    .split(',')
    .map((part) =>
      part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+|\s*:\s*/)[0]
        .trim(),
    )
    .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
}

/** The identifier a code span names: `maskSecrets(value)` → maskSecrets, `Stream.collect` → Stream; none for other code. */
function namedIdentifier(span: string): string | undefined {
  return /^(?:new\s+)?([A-Za-z_$][\w$]*)(?:[.(<[][^]*)?$/.exec(span.trim())?.[1];
}

function entryNamedIn(text: string): Entry | 'either' {
  if (/from\s+`streamkit\/testing`|`streamkit\/testing`/.test(text)) return 'streamkit/testing';
  if (/from\s+`streamkit`/.test(text)) return 'streamkit';
  return 'either';
}

/** Every export claim on a page. */
export function exportClaims(markdown: string): ExportClaim[] {
  const claims: ExportClaim[] = [];
  const scanImports = (code: string, line: number, how: string) => {
    for (const m of code.matchAll(IMPORT)) {
      const names = [...(m[2] ? ['default'] : []), ...importedNames(m[3] ?? '')];
      const at = line + code.slice(0, m.index).split('\n').length - 1;
      for (const name of names) claims.push({ name, from: m[4] as Entry, line: at, how });
    }
    for (const m of code.matchAll(REQUIRE)) {
      const at = line + code.slice(0, m.index).split('\n').length - 1;
      for (const name of importedNames(m[1])) claims.push({ name, from: m[2] as Entry, line: at, how });
    }
  };
  for (const block of codeBlocks(markdown)) scanImports(block.code, block.line + 1, `imported in a \`\`\`${block.lang} block`);

  let exportTable = false;
  let lastRow = -1;
  for (const { text, line } of sentences(markdown)) {
    for (const span of inlineCode(text)) scanImports(span, line, 'imported in inline code');
    if (text.startsWith('|')) {
      // A row not right below the previous one starts another table.
      if (line !== lastRow + 1) exportTable = false;
      lastRow = line;
      const cells = text.split('|').slice(1, -1);
      if (/^\s*exports?\s*$/i.test(cells[0] ?? '')) {
        exportTable = true;
        continue;
      }
      if (exportTable) {
        for (const span of inlineCode(cells[0] ?? '')) {
          const name = namedIdentifier(span);
          if (name) claims.push({ name, from: entryNamedIn(markdown), line, how: 'listed in a table of exports' });
        }
      }
      continue;
    }
    exportTable = false;
    // `name…` (exported …), `a` and `b` are exported, exports `name`, the exported `name`
    const from = entryNamedIn(text);
    const claimed = new Set<string>();
    for (const m of text.matchAll(
      /((?:`[^`\n]+`(?:,\s*|\s+and\s+|\s+or\s+)?)+)\s*(?:\((?:is\s+)?exported\b|(?:is|are)\s+(?:also\s+)?exported\b)/g,
    )) {
      for (const span of inlineCode(m[1])) claimed.add(span);
    }
    for (const m of text.matchAll(/\b(?:exports|exported)\s+((?:`[^`\n]+`(?:,\s*|\s+and\s+|\s+or\s+)?)+)/g)) {
      for (const span of inlineCode(m[1])) claimed.add(span);
    }
    for (const span of claimed) {
      const name = namedIdentifier(span);
      if (name && name !== 'streamkit') claims.push({ name, from, line, how: 'called exported' });
    }
  }
  return claims;
}

describe('docs: names a page says are exported', () => {
  it('finds claims in imports, sentences and export tables', () => {
    const page = [
      "```ts\nimport { from, type Stream, toArray as sink } from 'streamkit';\n```",
      '<!-- not-run -->',
      "```js\nconst { keyedEvents } = require('streamkit/testing');\n```",
      '`fooBar(x, y)` (exported) does a thing. `maskSecrets(value)` is exported for your own logging.',
      'The oracle exports `batchWindows` and `lastPanes`, exported from `streamkit/testing`.',
      'Call `import { count } from "streamkit"`; `run()` exports nothing of note.',
      '',
      '| export | what |',
      '|---|---|',
      '| `keyedEvents(options)` | arbitrary |',
      '',
      '| option | default |',
      '|---|---|',
      '| `level` | info |',
    ].join('\n');
    expect(exportClaims(page).map(({ name, from, line }) => [name, from, line])).toEqual([
      ['from', 'streamkit', 2],
      ['Stream', 'streamkit', 2],
      ['toArray', 'streamkit', 2],
      ['keyedEvents', 'streamkit/testing', 6],
      ['fooBar', 'either', 8],
      ['maskSecrets', 'either', 8],
      ['batchWindows', 'streamkit/testing', 9],
      ['lastPanes', 'streamkit/testing', 9],
      ['count', 'streamkit', 10],
      ['keyedEvents', 'streamkit/testing', 14],
    ]);
  });

  const exports = realExports();
  const either = new Set([...exports.streamkit, ...exports['streamkit/testing']]);

  it('reads the real exports, types included', () => {
    expect(exports.streamkit).toContain('from');
    expect(exports.streamkit).toContain('WindowResult');
    expect(exports['streamkit/testing']).toContain('batchWindows');
    expect(exports.streamkit).not.toContain('batchWindows');
  });

  for (const file of markdownFiles()) {
    const name = relative(root, file);
    it(`${name}: every name it says is exported is`, () => {
      const wrong = exportClaims(readFileSync(file, 'utf8'))
        .filter((c) => !(c.from === 'either' ? either : exports[c.from]).has(c.name))
        .map(
          (c) =>
            `${name}:${c.line} ${c.name}, ${c.how}, is not exported from ${c.from === 'either' ? 'streamkit or streamkit/testing' : c.from}`,
        );
      expect(wrong).toEqual([]);
    });
  }
});
