// The receiving thread of bench/exchange.bench.ts: takes frames from one transport, reads every
// record's event time (so each record is really there), and on a barrier frame tells the main
// thread how many records it took since the last one. Started through scripts/ts-worker.mjs.
import { deserialize } from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ExchangeReceiver } from '../../src/parallel/exchange-receiver.js';
import type { ExchangeFrame } from '../../src/parallel/exchange-frame.js';
import { HEADER_BYTES, TAKEN, WRITTEN, waitAsync, type SharedRingLayout } from './candidate-transports.js';

type Data =
  | { transport: 'clone'; port: MessagePort }
  | { transport: 'v8-transfer'; port: MessagePort }
  | { transport: 'shared-ring'; ring: SharedRingLayout };

const data = workerData as Data;
let records = 0;
let checksum = 0;

/** Handles one frame; false at the end. */
function handle(frame: ExchangeFrame<{ pickup_ts: number }>): boolean {
  switch (frame.kind) {
    case 'records':
      for (let i = 0; i < frame.values.length; i++) checksum += frame.values[i].pickup_ts - frame.times[i];
      records += frame.values.length;
      return true;
    case 'barrier':
      parentPort!.postMessage({ records, checksum });
      records = 0;
      return true;
    case 'end':
      return false;
    default:
      return true;
  }
}

if (data.transport === 'clone') {
  const input = new ExchangeReceiver<{ pickup_ts: number }>(data.port);
  while (handle(await input.receive()));
} else if (data.transport === 'v8-transfer') {
  const { port } = data;
  let taken = 0;
  let acknowledging = false;
  const acknowledge = () => {
    acknowledging = false;
    port.postMessage(taken);
    taken = 0;
  };
  port.on('message', (buffer: ArrayBuffer) => {
    const frame = deserialize(new Uint8Array(buffer)) as ExchangeFrame<{ pickup_ts: number }>;
    taken++;
    if (!acknowledging) {
      acknowledging = true;
      queueMicrotask(acknowledge);
    }
    if (!handle(frame)) port.close();
  });
} else {
  const { ring } = data;
  const header = new Int32Array(ring.buffer, 0, 2);
  const view = new DataView(ring.buffer);
  let taken = 0;
  // A pending Atomics.waitAsync does not keep a thread's event loop alive: without a handle the
  // worker would exit while it waits.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  for (;;) {
    if (Atomics.load(header, WRITTEN) === taken) await waitAsync(header, WRITTEN, taken).value;
    const at = HEADER_BYTES + (taken % ring.credits) * ring.slotBytes;
    const length = view.getUint32(at, true);
    const frame = deserialize(new Uint8Array(ring.buffer, at + 4, length)) as ExchangeFrame<{ pickup_ts: number }>;
    taken++;
    Atomics.store(header, TAKEN, taken);
    Atomics.notify(header, TAKEN);
    if (!handle(frame)) break;
  }
  clearInterval(keepAlive);
}
