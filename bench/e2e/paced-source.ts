import type { DeadLetter, Source, SourceContext, SourcePoll } from '../../src/index.js';

/** What a {@link pacedLines} source measured about itself. */
export interface PacedSourceStats {
  /** Records handed out. */
  records: number;
  /** Batches handed out (each holds the records due at that moment, up to the batch size). */
  batches: number;
  /** The most a batch's first record was handed out after its scheduled arrival, ms: near 0 below saturation. */
  maxBehindMs: number;
}

/** A paced source with its schedule, for a latency probe to read. */
export interface PacedSource<T> extends Source<T> {
  /** `performance.now()` at which record `index` is scheduled to arrive (valid once the source is open). */
  scheduledAt(index: number): number;
  stats(): PacedSourceStats;
}

/**
 * A source that replays prepared lines at a fixed rate, as a live feed delivers them: record `i`
 * arrives `i / eventsPerSecond` seconds after the source opens, and a poll hands out every record
 * that has arrived (up to the batch size), waiting for the next one when none has. Below saturation
 * batches are therefore small, as from a Kafka consumer; a pipeline that cannot keep up shows as a
 * growing {@link PacedSourceStats.maxBehindMs}. Lines are parsed when handed out, inside the
 * pipeline's time, and a line that does not parse becomes a dead letter.
 * @param lines - the input lines, in arrival order.
 * @param eventsPerSecond - the arrival rate.
 * @param parse - one line to a record; a throw makes it a dead letter.
 * @param onHandOut - called with the index range `[from, to)` of each batch handed out.
 * @example const source = pacedLines(lines, 20_000, JSON.parse, (from, to) => probe.arrived(from, to));
 */
export function pacedLines<T>(
  lines: readonly string[],
  eventsPerSecond: number,
  parse: (line: string) => T,
  onHandOut: (from: number, to: number) => void = () => {},
): PacedSource<T> {
  if (!(Number.isFinite(eventsPerSecond) && eventsPerSecond > 0)) {
    throw new RangeError(`pacedLines: eventsPerSecond must be a positive number, got ${eventsPerSecond}`);
  }
  const msPerRecord = 1000 / eventsPerSecond;
  let startedAt = 0;
  let batchSize = 1024;
  let next = 0;
  let batches = 0;
  let maxBehindMs = 0;
  const arrivedBy = (now: number) => Math.min(lines.length, Math.floor((now - startedAt) / msPerRecord) + 1);

  const take = (now: number): SourcePoll<T> => {
    const from = next;
    // At least one record: a timer fires no earlier than the next arrival, but float division may round below it.
    const until = Math.min(Math.max(arrivedBy(now), from + 1), from + batchSize);
    maxBehindMs = Math.max(maxBehindMs, now - (startedAt + from * msPerRecord));
    const values: T[] = [];
    const positions: number[] = [];
    const deadLetters: DeadLetter[] = [];
    for (let i = from; i < until; i++) {
      try {
        values.push(parse(lines[i]));
        positions.push(i);
      } catch (error) {
        deadLetters.push({
          reason: `unparseable line: ${error instanceof Error ? error.message : String(error)}`,
          raw: lines[i],
          position: { partition: 0, offset: i },
          operator: 'source',
        });
      }
    }
    next = until;
    batches++;
    onHandOut(from, until);
    return { kind: 'batch', batch: { values, positions, partition: 0 }, deadLetters };
  };

  return {
    name: 'paced-lines',
    partitions: () => [0],
    open(ctx: SourceContext) {
      batchSize = ctx.batchSize;
      startedAt = performance.now();
    },
    poll(): SourcePoll<T> | Promise<SourcePoll<T>> {
      if (next >= lines.length) return { kind: 'end' };
      const now = performance.now();
      if (arrivedBy(now) > next) return take(now);
      const wait = startedAt + next * msPerRecord - now;
      return new Promise((resolve) => setTimeout(() => resolve(take(performance.now())), Math.max(0, wait)));
    },
    position: () => next,
    scheduledAt: (index) => startedAt + index * msPerRecord,
    stats: () => ({ records: next, batches, maxBehindMs }),
  };
}
