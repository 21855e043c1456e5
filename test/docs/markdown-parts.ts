/**
 * The parts of a Markdown page the docs checks read: fenced code blocks, and the prose around them
 * as sentences with their inline code spans. Plain and approximate on purpose (no Markdown
 * library): the pages are ours, and a check that misreads one fails loudly rather than passes.
 */

/** A fenced code block: its language tag (may be empty), its text, and the line its fence opens on. */
export interface CodeBlock {
  lang: string;
  code: string;
  line: number;
}

/** A sentence of prose (a table row counts as one), with the line it starts on. */
export interface Sentence {
  text: string;
  line: number;
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([\w-]*)/;

/** Every fenced code block of a page, whatever its language. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() !== open[1]) j++;
    blocks.push({ lang: open[2], code: lines.slice(i + 1, j).join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/**
 * The prose of a page (outside code blocks, without HTML comments) as sentences: paragraphs and
 * list items split after `.`, `!` or `?` followed by a space, and each table row on its own
 * (its separator row `|---|` included).
 */
export function sentences(markdown: string): Sentence[] {
  const out: Sentence[] = [];
  let paragraph: Sentence | undefined;
  const flush = () => {
    if (!paragraph) return;
    const { text, line } = paragraph;
    // Split outside inline code: a period in `a.b` or `'…'` is not a sentence end.
    let from = 0;
    for (const part of splitOutsideCode(text, /(?<=[.!?])\s+(?=\S)/)) {
      const at = text.indexOf(part, from);
      out.push({ text: part, line: line + (text.slice(0, at).match(/\n/g) ?? []).length });
      from = at + part.length;
    }
    paragraph = undefined;
  };
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, i) => {
    const open = FENCE.exec(raw);
    if (fence !== undefined) {
      if (raw.trim() === fence) fence = undefined;
      return;
    }
    if (open) {
      flush();
      fence = open[1];
      return;
    }
    const line = raw.replace(/<!--.*?-->/g, '');
    if (line.trim() === '' || /^\s*#/.test(line)) {
      flush();
      return;
    }
    if (/^\s*\|/.test(line)) {
      flush();
      out.push({ text: line.trim(), line: i + 1 });
      return;
    }
    if (/^\s*([-*+]|\d+\.)\s/.test(line)) flush();
    if (paragraph) paragraph.text += `\n${line}`;
    else paragraph = { text: line, line: i + 1 };
  });
  flush();
  return out;
}

/** The inline code spans of a piece of prose, in order. */
export function inlineCode(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
}

/** Splits `text` at `separator`, never inside an inline code span. */
function splitOutsideCode(text: string, separator: RegExp): string[] {
  // Code spans are set aside behind placeholders that contain no separator, then put back.
  const spans: string[] = [];
  const masked = text.replace(/`[^`\n]*`/g, (span) => {
    spans.push(span);
    return `@@code${spans.length - 1}@@`;
  });
  return masked
    .split(separator)
    .map((part) => part.replace(/@@code(\d+)@@/g, (_, i: string) => spans[Number(i)]))
    .filter((part) => part.trim() !== '');
}
