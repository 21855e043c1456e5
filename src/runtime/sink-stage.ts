import type { Metrics, MetricSample } from '../core/metrics.js';
import type { RunSummary } from '../core/runtime-event.js';
import type { Sink } from '../core/sink.js';
import type { SinkDeadLetters } from '../sinks/sink-dead-letters.js';
import type { Checkpoint, CheckpointTargets } from './checkpoint.js';
import type { SinkGroup } from './operator-graph.js';
import type { SinkCalls } from './sink-calls.js';
import type { SinkChannel } from './sink-channel.js';
import { METRICS } from '../core/metric-catalogue.js';

/** What the sink stage needs. */
export interface SinkStageContext {
  channel: SinkChannel;
  /** The sink groups of the job's graph, indexed as the channel's elements name them. */
  groups: readonly SinkGroup[];
  /** Every sink, once each: flushed at the end. */
  sinks: readonly Sink<any>[];
  sinkCalls: SinkCalls;
  /** Writes to the sinks and routes what they hand back (see `SinkContext`). */
  sinkDeadLetters: SinkDeadLetters;
  /** What a barrier's checkpoint completes against (steps 3–6). */
  checkpointTargets: CheckpointTargets;
  metrics: Metrics;
  summary: RunSummary;
}

/**
 * The second stage of a job: takes what the operators produced from the channel, in order, and
 * writes it to the sinks, one chunk at a time, so a slow sink holds the credits and slows the
 * source. A barrier completes its checkpoint here (flush, write state, commit, record), after
 * everything produced before its snapshot was written. The end flushes every sink.
 */
export class SinkStage {
  private checkpoint: Checkpoint | undefined;
  private readonly resultsOut: MetricSample;

  constructor(private readonly ctx: SinkStageContext) {
    this.resultsOut = ctx.metrics.counter(METRICS.resultsOut);
  }

  /** Runs until the end element has been handled; rejects with the first failure. */
  async run(): Promise<void> {
    const { channel, groups, sinkCalls, sinkDeadLetters, summary } = this.ctx;
    const resultsOut = this.resultsOut;
    for (;;) {
      const element = await channel.receive();
      switch (element.kind) {
        case 'results':
          summary.results += element.items.length;
          resultsOut.value += element.items.length;
          for (const sink of groups[element.group].sinks) await sinkDeadLetters.write(sink, element.items, groups[element.group].deadSinks);
          break;
        case 'late':
          summary.late += element.items.length;
          for (const sink of groups[element.group].lateSinks)
            await sinkDeadLetters.write(sink, element.items, groups[element.group].deadSinks);
          break;
        case 'dead':
          summary.deadLetters += element.items.length;
          for (const sink of groups[element.group].deadSinks) await sinkDeadLetters.writeDeadLetters(sink, element.items);
          break;
        case 'barrier':
          this.checkpoint = element.checkpoint;
          await element.checkpoint.complete(this.ctx.checkpointTargets);
          this.checkpoint = undefined;
          break;
        case 'end':
          await sinkCalls.flushAll(this.ctx.sinks);
          return;
      }
    }
  }

  /**
   * What the stage waits on now, for a stop that times out: a sink call (`sink "x" to finish a
   * write`) or a checkpoint step (`checkpoint 4 to write state`); `undefined` when it waits on neither.
   */
  waitingOn(): string | undefined {
    return this.ctx.sinkCalls.describePending() ?? this.checkpoint?.describeRunning();
  }
}
