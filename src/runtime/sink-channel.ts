import type { DeadLetter } from '../core/dead-letter.js';
import type { LateRecord } from '../core/window.js';
import type { CreditChannel } from '../delivery/credit-channel.js';
import type { Checkpoint } from './checkpoint.js';
import type { OperatorGraph } from './operator-graph.js';

/**
 * What travels from the operators to the sink stage, in order: output chunks tagged with the sink
 * group they belong to, checkpoint barriers between them, and the end.
 */
export type SinkElement =
  | { kind: 'results'; group: number; items: unknown[] }
  | { kind: 'late'; group: number; items: LateRecord[] }
  | { kind: 'dead'; group: number; items: DeadLetter[] }
  /** Everything before it was produced before the checkpoint's snapshot; nothing after it was. */
  | { kind: 'barrier'; checkpoint: Checkpoint }
  | { kind: 'end' };

/** The bounded edge between the operators and the sink stage. */
export type SinkChannel = CreditChannel<SinkElement>;

/**
 * Hands what the graph produced to the sink stage, tagged with its group, in chunks of at most
 * `batchSize` items: each chunk takes a credit, so the edge never holds more than credits x batch
 * size items, results, late records and dead letters alike.
 */
export async function drainToSinks(graph: OperatorGraph, channel: SinkChannel, batchSize: number): Promise<void> {
  for (let group = 0; group < graph.groups.length; group++) {
    const g = graph.groups[group];
    if (g.dead.length > 0) {
      const all = g.dead.splice(0);
      for (const items of chunks(all, batchSize)) await channel.send({ kind: 'dead', group, items }, items.length);
    }
    if (g.late.length > 0) {
      const all = g.late.splice(0);
      for (const items of chunks(all, batchSize)) await channel.send({ kind: 'late', group, items }, items.length);
    }
    if (g.results.length > 0) {
      const all = g.results;
      g.results = [];
      for (const items of chunks(all, batchSize)) await channel.send({ kind: 'results', group, items }, items.length);
    }
  }
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  if (items.length <= size) {
    yield items;
    return;
  }
  for (let from = 0; from < items.length; from += size) yield items.slice(from, from + size);
}
