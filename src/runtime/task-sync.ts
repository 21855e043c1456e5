import type { RuntimeEvent } from '../core/runtime-event.js';
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import type { OperatorGraph } from './operator-graph.js';
import type { PartitionTasks } from './partition-tasks.js';

/** What a task sync uses besides the tasks. */
export interface TaskSyncContext {
  checkpoints: CheckpointCoordinator;
  /** Hands a leaving task's last output to the sink stage. */
  drain: (graph: OperatorGraph) => Promise<void>;
  emit: (event: RuntimeEvent) => void;
}

/**
 * Brings the running partition tasks in line with the source's assignment, between two polls.
 * Tasks about to stop (revoked, or assigned again and restarted) are checkpointed first, so their
 * next owner, this instance included, resumes from their state as of now; their output is drained
 * before they are dropped; tasks that start are restored from their last checkpoint.
 * @returns without doing anything when the tasks match the assignment.
 */
export async function syncPartitionTasks(tasks: PartitionTasks, { checkpoints, drain, emit }: TaskSyncContext): Promise<void> {
  if (!tasks.outOfDate()) return;
  if (tasks.hasLeavingTasks()) await checkpoints.checkpointIfDue(true, true);
  const changes = await tasks.sync(drain);
  for (const task of changes.stopped) emit({ type: 'task.stopped', task });
  for (const { name, restoredFrom } of changes.started) {
    // Checkpoint ids keep rising for a task whose earlier owner got further.
    if (restoredFrom !== undefined) checkpoints.raiseIdTo(restoredFrom);
    emit({ type: 'task.started', task: name, restoredFrom });
  }
}
