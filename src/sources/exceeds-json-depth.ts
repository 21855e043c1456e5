const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether the JSON text nests arrays and objects more than `maxDepth` deep (`[]` is depth 1,
 * `{"a":[1]}` depth 2, a scalar depth 0). A single loop with a counter, no recursion, so no input
 * can overflow the stack; brackets inside strings do not count. Text shorter than
 * `2 * maxDepth + 1` characters cannot nest deeper and is not scanned.
 * @param text - JSON text (for other text the count is of its brackets outside double quotes).
 * @param maxDepth - the deepest nesting allowed.
 * @returns true when some bracket opens at depth `maxDepth + 1`.
 * @example exceedsJsonDepth('[[1]]', 1) // true
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  // Nesting d deep takes d opening and d closing brackets.
  if (text.length <= 2 * maxDepth) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) return false;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote that closes the string opened at `open`, or -1 if none does. */
function closingQuote(text: string, open: number): number {
  let i = open;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0) return -1;
    // The quote is escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}
