// The transports bench/exchange.bench.ts compares with the exchange channel's own (a MessagePort
// posting each frame by structured clone): the sending halves, on the main thread. Their receiving
// halves are in receiver-worker.ts. Both keep the channel's rule: at most `credits` frames sent
// and not yet taken by the receiver.
import { serialize } from 'node:v8';
import type { MessagePort } from 'node:worker_threads';

/** The sending half of a candidate transport. */
export interface CandidateSender {
  /** Posts at once and returns undefined while a credit is free; otherwise a promise resolved once posted. */
  send(frame: unknown): Promise<void> | undefined;
}

/**
 * `v8.serialize` of each frame into its own ArrayBuffer, transferred (not copied) with
 * `postMessage`; the receiver runs `v8.deserialize`. Credits come back as counts, as in the channel.
 */
export class TransferredV8Sender implements CandidateSender {
  private inFlight = 0;
  private readonly waiting: Array<{ frame: unknown; resolve: () => void }> = [];

  constructor(
    private readonly port: MessagePort,
    private readonly credits: number,
  ) {
    port.on('message', (taken: number) => {
      this.inFlight -= taken;
      while (this.waiting.length > 0 && this.inFlight < this.credits) {
        const next = this.waiting.shift()!;
        this.post(next.frame);
        next.resolve();
      }
    });
  }

  send(frame: unknown): Promise<void> | undefined {
    if (this.waiting.length === 0 && this.inFlight < this.credits) {
      this.post(frame);
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push({ frame, resolve }));
  }

  private post(frame: unknown): void {
    // v8.serialize returns a Buffer that owns exactly its ArrayBuffer: it can be transferred whole.
    const bytes = serialize(frame);
    this.port.postMessage(bytes.buffer, [bytes.buffer as ArrayBuffer]);
    this.inFlight++;
  }
}

/** Layout of a shared ring: two counters, then `credits` slots of `slotBytes` (a length, then the bytes). */
export interface SharedRingLayout {
  readonly buffer: SharedArrayBuffer;
  readonly credits: number;
  readonly slotBytes: number;
}

/**
 * `Atomics.waitAsync` (in Node 20, typed from lib es2024 on, which this project does not use): its
 * value is a promise when it waits, or at once 'not-equal' when the counter moved already.
 */
export const waitAsync = (
  Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): { value: Promise<string> | string } }
).waitAsync;

/** Index of the counters in the ring's Int32Array header. */
export const WRITTEN = 0;
export const TAKEN = 1;
export const HEADER_BYTES = 8;

export function sharedRing(credits: number, slotBytes: number): SharedRingLayout {
  return { buffer: new SharedArrayBuffer(HEADER_BYTES + credits * slotBytes), credits, slotBytes };
}

/**
 * `v8.serialize` of each frame copied into a slot of a `SharedArrayBuffer` ring; the receiver
 * waits with `Atomics.waitAsync` on the count of frames written, deserializes from the slot and
 * bumps the count of frames taken, which is what the sender waits on for a credit. No message per
 * frame: only `Atomics.notify`.
 */
export class SharedRingSender implements CandidateSender {
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly slots: DataView;
  private written = 0;
  private chain: Promise<void> = Promise.resolve();
  private blocked = false;

  constructor(private readonly ring: SharedRingLayout) {
    this.header = new Int32Array(ring.buffer, 0, 2);
    this.bytes = new Uint8Array(ring.buffer);
    this.slots = new DataView(ring.buffer);
  }

  send(frame: unknown): Promise<void> | undefined {
    if (!this.blocked && this.written - Atomics.load(this.header, TAKEN) < this.ring.credits) {
      this.write(frame);
      return undefined;
    }
    this.blocked = true;
    this.chain = this.chain.then(async () => {
      for (;;) {
        const taken = Atomics.load(this.header, TAKEN);
        if (this.written - taken < this.ring.credits) break;
        await waitAsync(this.header, TAKEN, taken).value;
      }
      this.write(frame);
    });
    const done = this.chain;
    void done.then(() => {
      if (this.chain === done) this.blocked = false;
    });
    return done;
  }

  private write(frame: unknown): void {
    const bytes = serialize(frame);
    if (bytes.length + 4 > this.ring.slotBytes) throw new RangeError(`a frame of ${bytes.length} bytes exceeds a slot`);
    const at = HEADER_BYTES + (this.written % this.ring.credits) * this.ring.slotBytes;
    this.slots.setUint32(at, bytes.length, true);
    this.bytes.set(bytes, at + 4);
    this.written++;
    Atomics.store(this.header, WRITTEN, this.written);
    Atomics.notify(this.header, WRITTEN);
  }
}
