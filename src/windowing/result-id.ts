import { DECIMAL_MAX_LENGTH, writeDecimal } from '../fast/decimal-ascii.js';
import { murmur3x86128, murmur3x86128Bytes } from './murmur3.js';

/**
 * The canonical text of a result's identity: `keyText|start|end|paneIndex|r` where `keyText` is
 * the key's text (`encodeKey` in `src/core/key-encoding.ts`: JSON's text for strings, numbers,
 * booleans, null and plain data of them, a type-tagged text for the keys JSON cannot tell apart),
 * bounds and index are decimal integers and `r` is `1` for a retraction, `0` otherwise.
 * @example canonicalResultText('"zone-7"', 0, 300000, 0, false) // '"zone-7"|0|300000|0|0'
 */
export function canonicalResultText(keyText: string, start: number, end: number, index: number, retraction: boolean): string {
  return `${keyText}|${start}|${end}|${index}|${retraction ? 1 : 0}`;
}

/**
 * The deterministic id of a window result: MurmurHash3 x86 128-bit (seed 0) of the UTF-8 bytes of
 * {@link canonicalResultText}, as 32 lowercase hex digits (see `murmur3.ts`). The same (key, window, pane index,
 * retraction) gives the same id in every run, version and process, so sinks can upsert by it.
 * This recipe is part of the on-disk contract: changing it breaks idempotence across restarts.
 * @param keyText the key's text, `encodeKey(key)`.
 * @example resultId('null', 0, 60000, 0, false) // '31b8433de4e929d0e18c576b48c317b2'
 */
export function resultId(keyText: string, start: number, end: number, index: number, retraction: boolean): string {
  // Every result needs an id: write the canonical text's bytes straight into a reused buffer
  // instead of building the text and encoding it. Non-ASCII keys take the plain route.
  const k = keyText.length;
  if (k + ID_NUMBERS_MAX > idBytes.length) idBytes = new Uint8Array(2 * (k + ID_NUMBERS_MAX));
  const bytes = idBytes;
  for (let i = 0; i < k; i++) {
    const c = keyText.charCodeAt(i);
    if (c > 0x7f) return murmur3x86128(canonicalResultText(keyText, start, end, index, retraction));
    bytes[i] = c;
  }
  let n = k;
  bytes[n++] = PIPE;
  n = writeDecimal(bytes, n, start);
  bytes[n++] = PIPE;
  n = writeDecimal(bytes, n, end);
  bytes[n++] = PIPE;
  n = writeDecimal(bytes, n, index);
  bytes[n++] = PIPE;
  bytes[n++] = retraction ? DIGIT_0 + 1 : DIGIT_0;
  return murmur3x86128Bytes(bytes, n);
}

const PIPE = 0x7c;
const DIGIT_0 = 0x30;
/** Room for three numbers as text and the separators. */
const ID_NUMBERS_MAX = 3 * DECIMAL_MAX_LENGTH + 5;
let idBytes = new Uint8Array(256);
