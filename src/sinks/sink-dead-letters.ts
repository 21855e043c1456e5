import type { DeadLetter } from '../core/dead-letter.js';
import { describeError, StreamkitError } from '../core/errors.js';
import type { Sink, SinkContext } from '../core/sink.js';
import { jsonSafeValue } from './json-safe-value.js';

/** How the runtime writes one batch to one sink (its errors wrapped as `SINK_FAILED`). */
export type SinkWrite = (sink: Sink<any>, items: unknown[]) => Promise<void>;

/** An item a sink handed back, and why (a sink written in plain JavaScript may give any reason). */
interface HandedBack {
  item: unknown;
  reason: unknown;
}

/**
 * The runtime's side of {@link SinkContext}: the context each sink gets at `open`, and the routing
 * of what a sink hands back during a write. A result or late record a sink cannot write becomes a
 * dead letter of the stream it came from; a dead letter the dead-letter sink cannot write is written
 * to it again with its `raw` made plain JSON data ({@link jsonSafeValue}), which every sink that
 * writes JSON can write. Writes to sinks are sequential (the runtime's sink stage awaits each), so
 * what a sink hands back during a write belongs to that write.
 * @example
 * const handedBack = new SinkDeadLetters(writeTo, (sink, n) => (summary.deadLetters += n));
 * await sink.open?.(handedBack.contextFor(sink));
 * await handedBack.write(sink, results, group.deadSinks);
 */
export class SinkDeadLetters {
  /** What each sink being written to has handed back so far; a sink is here only while a write to it runs. */
  private readonly returned = new Map<Sink<any>, HandedBack[]>();

  /**
   * @param writeTo writes a batch to a sink.
   * @param counted told how many new dead letters a sink handed back (for the run summary and metrics).
   */
  constructor(
    private readonly writeTo: SinkWrite,
    private readonly counted: (sink: Sink<any>, letters: number) => void,
  ) {}

  /** The context `sink` is opened with. */
  contextFor<T>(sink: Sink<T>): SinkContext<T> {
    return {
      deadLetter: (item, reason) => {
        const open = this.returned.get(sink);
        if (open === undefined) {
          throw new StreamkitError(
            'SINK_FAILED',
            `sink ${nameOf(sink)} handed an item back outside write(); call deadLetter() while write() runs`,
          );
        }
        open.push({ item, reason });
      },
    };
  }

  /**
   * Writes results or late records to `sink`; what it hands back goes to `deadSinks` as dead letters.
   * @param deadSinks the dead-letter sinks of the stream the items came from (none: they are counted only).
   */
  async write(sink: Sink<any>, items: unknown[], deadSinks: readonly Sink<DeadLetter>[]): Promise<void> {
    const back = await this.writeCollecting(sink, items);
    if (back.length === 0) return;
    const operator = nameOf(sink);
    const letters: DeadLetter[] = back.map(({ item, reason }) => ({ reason: reasonText(reason), raw: item, operator }));
    this.counted(sink, letters.length);
    for (const dead of deadSinks) await this.writeDeadLetters(dead, letters);
  }

  /**
   * Writes dead letters to a dead-letter sink; one it hands back is written again with its `raw`
   * as plain JSON data. A sink that refuses even that fails the job: it cannot write plain JSON.
   */
  async writeDeadLetters(sink: Sink<DeadLetter>, letters: DeadLetter[]): Promise<void> {
    const back = await this.writeCollecting(sink, letters);
    if (back.length === 0) return;
    const rendered = back.map(({ item, reason }) => renderDeadLetter(item as DeadLetter, reasonText(reason)));
    const refused = await this.writeCollecting(sink, rendered);
    if (refused.length > 0) {
      throw new StreamkitError(
        'SINK_FAILED',
        `sink ${nameOf(sink)} cannot write a dead letter even with its raw record as plain JSON data: ${reasonText(refused[0].reason)}`,
      );
    }
  }

  /** Writes `items` to `sink` and returns what it handed back meanwhile. */
  private async writeCollecting(sink: Sink<any>, items: unknown[]): Promise<HandedBack[]> {
    const back: HandedBack[] = [];
    this.returned.set(sink, back);
    try {
      await this.writeTo(sink, items);
    } finally {
      this.returned.delete(sink);
    }
    return back;
  }
}

/**
 * A dead letter whose every field is plain JSON data, `raw` above all (a bigint, a cycle, a value
 * nested too deep), and whose reason says its raw record is shown that way and why.
 */
function renderDeadLetter(letter: DeadLetter, why: string): DeadLetter {
  const safe = jsonSafeValue(letter);
  const rendered = (typeof safe === 'object' && safe !== null ? safe : {}) as DeadLetter;
  rendered.reason = `${reasonText(rendered.reason)} (raw record shown as plain JSON data: ${why})`;
  return rendered;
}

function reasonText(reason: unknown): string {
  return typeof reason === 'string' ? reason : describeError(reason);
}

function nameOf(sink: Sink<any>): string {
  return sink.name ?? 'unnamed';
}
