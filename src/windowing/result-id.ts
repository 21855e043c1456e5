import { hash } from 'node:crypto';

/**
 * The canonical text of a result's identity: `keyJson|start|end|paneIndex|r` where `keyJson` is
 * {@link keyToJson} of the key, bounds and index are decimal integers and `r` is `1` for a
 * retraction, `0` otherwise.
 * @example canonicalResultText('"zone-7"', 0, 300000, 0, false) // '"zone-7"|0|300000|0|0'
 */
export function canonicalResultText(keyJson: string, start: number, end: number, index: number, retraction: boolean): string {
  return `${keyJson}|${start}|${end}|${index}|${retraction ? 1 : 0}`;
}

/**
 * The deterministic id of a window result: the first 128 bits (32 lowercase hex digits) of the
 * SHA-256 of the UTF-8 bytes of {@link canonicalResultText}. The same (key, window, pane index,
 * retraction) gives the same id in every run, version and process, so sinks can upsert by it.
 * This recipe is part of the on-disk contract: changing it breaks idempotence across restarts.
 * @param keyJson the key as {@link keyToJson} renders it.
 * @example resultId('null', 0, 60000, 0, false) // '6dcf3bd65bfa1ce2938afd93eb8eccae'
 */
export function resultId(keyJson: string, start: number, end: number, index: number, retraction: boolean): string {
  return hash('sha256', canonicalResultText(keyJson, start, end, index, retraction), 'hex').slice(0, 32);
}

/**
 * Renders a key as stable text for result ids and state keys: `JSON.stringify(key)`, with
 * `undefined` as `undefined` and a bigint `n` as `<n>n` (JSON cannot express either).
 * @example keyToJson('a') // '"a"'; keyToJson(null) // 'null'; keyToJson({ zone: 7 }) // '{"zone":7}'
 */
export function keyToJson(key: unknown): string {
  if (key === undefined) return 'undefined';
  if (typeof key === 'bigint') return `${key}n`;
  const text = JSON.stringify(key);
  return text === undefined ? String(key) : text;
}
