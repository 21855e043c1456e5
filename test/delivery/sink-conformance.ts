import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sink } from '../../src/core/sink.js';

export interface Row {
  id: string;
  value: unknown;
  seq: number;
}

/** A sink under test over one store: `make()` can be called again to continue where it left off. */
export interface SinkFixture {
  make(): Sink<Row>;
  /** The store's contents after upsert by id: what an idempotent reader sees. */
  read(): Promise<Map<string, Row>>;
  /** False when a new sink cannot continue the same store (an in-memory array). */
  durable: boolean;
  dispose(): Promise<void>;
}

/** Applies what a reader of any sink does: keep the last row written per id. */
export function upsertById<T extends { id: string }>(items: Iterable<T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) out.set(item.id, item);
  return out;
}

function sortById(map: Map<string, Row>): Array<[string, Row]> {
  return [...map].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * The conformance suite every idempotent sink runs: after upsert by id, its contents hold the last
 * write per id, whatever the batching, the flushes and a replay after a restart.
 */
export function describeSinkConformance(name: string, makeFixture: () => Promise<SinkFixture>): void {
  describe(`sink conformance: ${name}`, () => {
    let fixture: SinkFixture | undefined;
    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });

    it('keeps the last write per id, across writes and flushes', async () => {
      fixture = await makeFixture();
      const sink = fixture.make();
      await sink.open?.();
      await sink.write([
        { id: 'a', value: 1, seq: 0 },
        { id: 'b', value: { x: [1, 2] }, seq: 1 },
      ]);
      await sink.write([{ id: 'a', value: 2, seq: 2 }]);
      await sink.flush?.();
      await sink.write([
        { id: 'c\x00é🚕', value: null, seq: 3 },
        { id: 'b', value: 'last', seq: 4 },
        { id: 'a', value: 3, seq: 5 },
      ]);
      await sink.flush?.();
      await sink.close?.();
      expect(sortById(await fixture.read())).toEqual([
        ['a', { id: 'a', value: 3, seq: 5 }],
        ['b', { id: 'b', value: 'last', seq: 4 }],
        ['c\x00é🚕', { id: 'c\x00é🚕', value: null, seq: 3 }],
      ]);
    });

    it('ends as if there was no restart when a restarted job replays results from its last checkpoint (property)', async () => {
      const row = fc.record({
        id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        value: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(row, { maxLength: 6 }), { minLength: 1, maxLength: 8 }),
          fc.nat(),
          fc.nat(),
          async (writes, cutSeed, crashSeed) => {
            await fixture?.dispose();
            fixture = await makeFixture();
            let seq = 0;
            const batches = writes.map((w) => w.map((r) => ({ ...r, seq: seq++ })));
            const expected = upsertById(batches.flat());
            // A checkpoint completed (flush) after `cut` writes; the job died after `crash` more;
            // the restarted job writes everything from the checkpoint on again.
            const cut = cutSeed % (batches.length + 1);
            const crash = cut + (crashSeed % (batches.length - cut + 1));
            let sink = fixture.make();
            await sink.open?.();
            for (let i = 0; i < crash; i++) {
              await sink.write(batches[i]);
              if (i + 1 === cut) await sink.flush?.();
            }
            if (fixture.durable) {
              await sink.close?.();
              sink = fixture.make();
              await sink.open?.();
            }
            for (let i = fixture.durable ? cut : crash; i < batches.length; i++) await sink.write(batches[i]);
            await sink.flush?.();
            await sink.close?.();
            expect(sortById(await fixture.read())).toEqual(sortById(expected));
          },
        ),
        { numRuns: 30 },
      );
    });
  });
}
