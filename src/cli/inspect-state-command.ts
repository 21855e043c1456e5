import { createHash } from 'node:crypto';
import type { StateFingerprint } from '../core/operator.js';
import { inspectLevelState, type StoredCheckpoint } from '../state/level-state.js';

/**
 * `streamkit inspect-state <dir>`: prints the last checkpoint of a state directory, verified as a
 * restore would verify it: id, state format, source positions, and per operator its id, a short
 * hash and the parts of its fingerprint, and its size.
 * @param dir a `levelState` directory (the job stopped).
 * @param options `json`: one JSON object instead of text.
 * @param out where to print.
 * @example await inspectStateCommand('./state', { json: false }, process.stdout)
 */
export async function inspectStateCommand(dir: string, options: { json: boolean }, out: { write(text: string): unknown }): Promise<void> {
  const checkpoint = await inspectLevelState(dir);
  if (options.json) {
    out.write(`${toJson(checkpoint ? { dir, ...withHashes(checkpoint) } : { dir, checkpointId: null })}\n`);
    return;
  }
  if (!checkpoint) {
    out.write(`state directory  ${dir}\ncheckpoint       none yet\n`);
    return;
  }
  const lines = [
    `state directory  ${dir}`,
    `state format     ${checkpoint.formatVersion}`,
    `checkpoint       ${checkpoint.checkpointId}`,
    `source position  ${toJson(checkpoint.sourcePosition)}`,
    `operators        ${checkpoint.operators.length}`,
  ];
  const width = Math.max(0, ...checkpoint.operators.map((o) => o.uid.length));
  for (const op of checkpoint.operators) {
    const hash = op.fingerprint ? fingerprintHash(op.fingerprint) : 'none (format 1)';
    lines.push(`  ${op.uid.padEnd(width)}  ${op.entries} entries  ${op.bytes} bytes  fingerprint ${hash}`);
    if (op.fingerprint)
      for (const [part, value] of Object.entries(op.fingerprint)) lines.push(`  ${' '.repeat(width)}    ${part}: ${value}`);
  }
  out.write(`${lines.join('\n')}\n`);
}

/**
 * A short stable name for a fingerprint: the first 12 hex digits of the SHA-256 of its parts,
 * sorted by name, as JSON. Equal fingerprints have equal hashes, in every version.
 * @example fingerprintHash({ operator: 'dedup', within: '3600000ms' })
 */
export function fingerprintHash(fingerprint: StateFingerprint): string {
  const canonical = JSON.stringify(Object.entries(fingerprint).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

function withHashes(checkpoint: StoredCheckpoint) {
  return {
    ...checkpoint,
    operators: checkpoint.operators.map((op) => (op.fingerprint ? { ...op, fingerprintHash: fingerprintHash(op.fingerprint) } : op)),
  };
}

/** JSON for positions and rows that may hold bigints (as strings) or Maps (as objects). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v,
  );
}
