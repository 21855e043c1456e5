import type { RuntimeEvent } from '../../src/core/runtime-event.js';
import type { RunOptions } from '../../src/runtime/runtime.js';
import { levelState } from '../../src/state/level-state.js';

/** Prints the lines the crash tests read: `restored <id>` after a restore, `checkpoint <id>` as checkpoints complete. */
export function printCheckpointEvents(event: RuntimeEvent): void {
  if (event.type === 'checkpoint.restored') process.stdout.write(`restored ${event.id}\n`);
  if (event.type === 'checkpoint.completed') process.stdout.write(`checkpoint ${event.id}\n`);
}

/**
 * How the crash-test jobs run: state in LevelDB at `stateDir`, a checkpoint every 1,000 records,
 * batches of 200, checkpoint events printed. No fsync: a SIGKILL loses nothing the kernel holds,
 * and the tests stay fast on a busy disk. With `memory`, keyed state is resident in LevelDB behind
 * a cache of that size.
 */
export function crashJobRunOptions(stateDir: string, memory?: string): RunOptions {
  return {
    state: levelState(stateDir, memory ? { sync: false, memory } : { sync: false }),
    checkpointEvery: { records: 1000 },
    batchSize: 200,
    onEvent: printCheckpointEvents,
  };
}
