import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateTrips } from '../../examples/taxi/generator.js';

/** Where generated inputs are cached between runs (gitignored). */
export const DATA_DIR = join(import.meta.dirname, '..', '.data');

/** Seed of every benchmark input, so all engines and all runs read the same bytes. */
export const INPUT_SEED = 1;

/**
 * The path of the taxi input of `size` trips, written once with the taxi generator and cached.
 * @param size - trips to generate (before duplicates).
 * @param duplicates - probability that a trip is delivered twice (the dedup job's input).
 * @returns the JSONL file's path.
 * @example const file = await ensureTaxiInput(10_000, 0);
 */
export async function ensureTaxiInput(size: number, duplicates: number): Promise<string> {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  const suffix = duplicates > 0 ? `-dup${Math.round(duplicates * 100)}` : '';
  const file = join(DATA_DIR, `taxi-${size}${suffix}-seed${INPUT_SEED}.jsonl`);
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial, { highWaterMark: 1 << 20 });
  let chunk = '';
  for (const line of generateTrips({ events: size, seed: INPUT_SEED, duplicates })) {
    chunk += line + '\n';
    if (chunk.length >= 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(partial, file);
  return file;
}
