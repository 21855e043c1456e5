import { writeFile } from 'node:fs/promises';
import type { CrashEvent } from './crash-job.js';
import { seededRandom } from './job-process.js';

/**
 * Writes `count` events as JSONL: 50 keys, times 5 ms apart with up to 1 s of disorder and 3% of
 * records up to 3.5 s late (within or past the allowed lateness), and 5% redelivered copies of a
 * recent event.
 */
export async function writeCrashInput(path: string, count: number, seed = 7): Promise<void> {
  const rnd = seededRandom(seed);
  const lines: string[] = [];
  const recent: CrashEvent[] = [];
  for (let i = 0; i < count; i++) {
    let event: CrashEvent;
    if (recent.length > 0 && rnd() < 0.05) {
      event = recent[Math.floor(rnd() * recent.length)];
    } else {
      // Most records within the 1 s the watermark allows for; 3% up to 3.5 s behind: late.
      const delay = rnd() < 0.03 ? 1000 + Math.floor(rnd() * 2500) : Math.floor(rnd() * 1000);
      event = { id: `ev-${i}`, key: `zone-${Math.floor(rnd() * 50)}`, t: 1_700_000_000_000 + i * 5 - delay, v: Math.floor(rnd() * 1000) };
      recent.push(event);
      if (recent.length > 200) recent.shift();
    }
    lines.push(JSON.stringify(event));
  }
  await writeFile(path, lines.join('\n') + '\n');
}
