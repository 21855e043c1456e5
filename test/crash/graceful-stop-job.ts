/**
 * The job the graceful-stop test stops with process signals: the crash test's pipeline (a
 * checkpointed windowed aggregate with dedup over a JSONL file, state in LevelDB, results upserted
 * into a LevelDB table) run with `stopOnSignals: ['SIGTERM', 'SIGINT']`. Run as
 * `node --import tsx test/crash/graceful-stop-job.ts <input.jsonl> <stateDir> <tableDir> [hang-on-stop]`.
 * It prints `ready` when the pipeline starts, `restored <id>` after a restore, `checkpoint <id>` as
 * checkpoints complete, `stopping <reason>` when a stop is requested, and at the end
 * `stopped <restoredFrom> <records>`, `done <restoredFrom> <records>` or `failed <code> <message>`
 * (exit code 1). With `hang-on-stop`, the table's flush never returns once a stop was requested
 * (it prints `flush hangs`).
 */
import type { Sink } from '../../src/core/sink.js';
import type { WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { toLevel } from '../../src/sinks/level-sink.js';
import { fromJsonl } from '../../src/sources/jsonl-source.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { crashJobRunOptions, printCheckpointEvents } from './crash-job-options.js';
import type { CrashEvent } from './crash-job.js';

const [input, stateDir, tableDir, mode] = process.argv.slice(2);
if (!input || !stateDir || !tableDir) {
  console.error('usage: graceful-stop-job.ts <input.jsonl> <stateDir> <tableDir> [hang-on-stop]');
  process.exit(2);
}

type Result = WindowResult<string, { n: number; total: number }>;
let stopping = false;
// No fsync: the test stays fast on a busy disk; a stopped process loses nothing the kernel holds.
const table = toLevel<Result>(tableDir, { sync: false });
const sink: Sink<Result> =
  mode === 'hang-on-stop'
    ? {
        name: 'hanging-table',
        open: () => table.open?.(),
        write: (items) => table.write(items),
        flush: () => {
          if (!stopping) return table.flush?.();
          process.stdout.write('flush hangs\n');
          return new Promise<void>(() => undefined);
        },
        close: () => table.close?.(),
      }
    : table;

const job = from(fromJsonl<CrashEvent>(input))
  .withTimestamps((e) => e.t, boundedOutOfOrderness('1s'))
  .dedup((e) => e.id, { within: '10s' })
  .keyBy((e) => e.key)
  .window(tumbling('2s'), { allowedLateness: '1s' })
  .aggregate({ n: count(), total: sum((e: CrashEvent) => e.v) })
  .to(sink)
  .run({
    ...crashJobRunOptions(stateDir),
    stopOnSignals: ['SIGTERM', 'SIGINT'],
    onEvent: (event) => {
      printCheckpointEvents(event);
      if (event.type === 'job.stopping') {
        stopping = true;
        process.stdout.write(`stopping ${event.reason}\n`);
      }
    },
  });

process.stdout.write('ready\n');
try {
  const summary = await job;
  process.stdout.write(`${summary.stopped ? 'stopped' : 'done'} ${summary.restoredFrom ?? 0} ${summary.records}\n`);
} catch (error) {
  process.stdout.write(`failed ${(error as { code?: string }).code} ${(error as Error).message}\n`);
  process.exitCode = 1;
}
