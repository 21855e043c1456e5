/**
 * The job the crash test kills: a checkpointed windowed aggregate with dedup over a JSONL file,
 * state in LevelDB, results upserted into a LevelDB table. Run as
 * `node --import tsx test/crash/crash-job.ts <input.jsonl> <stateDir> <tableDir> [tumbling|session] [memory]`:
 * tumbling 2 s windows (the default) or sessions with a 100 ms gap (50 keys, one event per key
 * every 250 ms on average), and with a memory size (`'4KB'`) keyed state resident in LevelDB
 * behind a cache of that size.
 * It prints `ready` when the pipeline starts, `restored <checkpoint id>` after a restore,
 * `checkpoint <id>` as checkpoints complete, and
 * `done <restoredFrom> <records>` when the input is consumed.
 */
import { from } from '../../src/pipeline/stream.js';
import { toLevel } from '../../src/sinks/level-sink.js';
import { fromJsonl } from '../../src/sources/jsonl-source.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { session } from '../../src/windowing/session.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { crashJobRunOptions } from './crash-job-options.js';

export interface CrashEvent {
  id: string;
  key: string;
  t: number;
  v: number;
}

const [input, stateDir, tableDir, windows = 'tumbling', memory] = process.argv.slice(2);
if (!input || !stateDir || !tableDir) {
  console.error('usage: crash-job.ts <input.jsonl> <stateDir> <tableDir> [tumbling|session] [memory]');
  process.exit(2);
}

const job = from(fromJsonl<CrashEvent>(input))
  .withTimestamps((e) => e.t, boundedOutOfOrderness('1s'))
  .dedup((e) => e.id, { within: '10s' })
  .keyBy((e) => e.key)
  .window(windows === 'session' ? session('100ms') : tumbling('2s'), { allowedLateness: '1s' })
  .aggregate({ n: count(), total: sum((e: CrashEvent) => e.v) })
  .to(toLevel(tableDir, { sync: false }))
  .run(crashJobRunOptions(stateDir, memory));

process.stdout.write('ready\n');
const summary = await job;
process.stdout.write(`done ${summary.restoredFrom ?? 0} ${summary.records}\n`);
