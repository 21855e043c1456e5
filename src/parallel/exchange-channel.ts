import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ExchangeSender, type ExchangeSenderOptions } from './exchange-sender.js';

/**
 * An exchange channel: one direction, between two threads, over a `MessagePort` pair.
 *
 * - sender → receiver: each frame as one message (structured clone, what `postMessage` does; the
 *   transport chosen by bench/exchange.bench.ts against a transferred `v8.serialize` buffer and a
 *   `SharedArrayBuffer` ring). Records cross in batches, never one message per record.
 * - receiver → sender: the number of frames taken since the last acknowledgement, which returns
 *   their credits.
 * - the end: the receiver acknowledges the end frame and closes the pair; the sender reads that
 *   close, with nothing in flight, as the end taken. Any other close fails both sides.
 *
 * Opens a channel whose sending end stays on this thread: transfer `port` to the receiving thread
 * (in `workerData` with a transfer list, or in a message) and wrap it there in an ExchangeReceiver.
 * @example
 * const { sender, port } = openExchange<Trip>({ credits: 8 });
 * const worker = new Worker(url, { workerData: { input: port }, transferList: [port] });
 */
export function openExchange<T>(options: ExchangeSenderOptions = {}): { sender: ExchangeSender<T>; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  return { sender: new ExchangeSender<T>(port1, options), port: port2 };
}
