import { describe, expect, it } from 'vitest';
import { batchOf } from '../../src/core/batch.js';
import { StateError } from '../../src/core/errors.js';
import { packInputPartition } from '../../src/core/input-partition.js';
import type { Source, SourceContext, SourcePoll } from '../../src/core/source.js';
import { fromArray } from '../../src/sources/array-source.js';
import { UnionSource } from '../../src/sources/union-source.js';

const ctx = (restoreFrom?: unknown): SourceContext => ({ batchSize: 2, now: () => 0, signal: new AbortController().signal, restoreFrom });

/** A source whose polls wait until the test answers them. */
function manual(): Source<string> & { answer(poll: SourcePoll<string>): void; fail(error: Error): void; committed: unknown[] } {
  let resolve: ((poll: SourcePoll<string>) => void) | undefined;
  let reject: ((error: Error) => void) | undefined;
  let position = 0;
  const committed: unknown[] = [];
  return {
    name: 'manual',
    committed,
    partitions: () => [3],
    open: () => undefined,
    poll: () =>
      new Promise<SourcePoll<string>>((res, rej) => {
        resolve = (p) => {
          if (p.kind === 'batch') position += p.batch.values.length;
          res(p);
        };
        reject = rej;
      }),
    position: () => position,
    commit: (p) => void committed.push(p),
    answer: (p) => resolve!(p),
    fail: (e) => reject!(e),
  };
}

describe('UnionSource', () => {
  it('serves the other inputs while one waits, and the waiting one once it answers', async () => {
    const slow = manual();
    const union = new UnionSource([slow, fromArray(['b1', 'b2', 'b3'], { batchSize: 1 })]);
    await union.open(ctx());
    const first = union.poll() as SourcePoll<unknown>;
    expect(first).toMatchObject({ kind: 'batch', batch: { values: ['b1'], partition: packInputPartition(1, 0) } });
    expect(union.poll()).toMatchObject({ kind: 'batch', batch: { values: ['b2'] } });
    slow.answer({ kind: 'batch', batch: batchOf(['a1'], 3) });
    await Promise.resolve();
    expect(union.poll()).toMatchObject({ kind: 'batch', batch: { values: ['a1'], partition: packInputPartition(0, 3) } });
    expect(union.poll()).toMatchObject({ kind: 'batch', batch: { values: ['b3'] } });
    // Only the slow input is left, and it waits: the union's poll waits for it.
    const pending = union.poll();
    expect(pending).toBeInstanceOf(Promise);
    slow.answer({ kind: 'batch', batch: batchOf(['a2'], 3) });
    // The array input's end is reported with the next answer.
    expect(await pending).toMatchObject({ kind: 'batch', batch: { values: ['a2'] }, endedInputs: [1] });
    expect(union.partitions()).toEqual([packInputPartition(0, 3)]);
    const last = union.poll();
    slow.answer({ kind: 'end' });
    expect(await last).toEqual({ kind: 'end' });
  });

  it('holds every input’s position in one value, restores each from its own and commits each its own', async () => {
    const a = fromArray(['a1', 'a2', 'a3', 'a4']);
    const b = fromArray(['b1', 'b2', 'b3']);
    const union = new UnionSource([a, b]);
    await union.open(ctx());
    union.poll();
    union.poll();
    union.poll();
    expect(union.position()).toEqual({ union: [4, 2], next: 1 });

    const restored = new UnionSource([fromArray(['a1', 'a2', 'a3', 'a4']), fromArray(['b1', 'b2', 'b3'])]);
    await restored.open(ctx({ union: [4, 2], next: 1 }));
    expect(restored.poll()).toMatchObject({ kind: 'batch', batch: { values: ['b3'], positions: [2] } });

    const slow = manual();
    const committing = new UnionSource([slow, fromArray([])]);
    await committing.open(ctx());
    await committing.commit({ union: [7, 0], next: 0 });
    expect(slow.committed).toEqual([7]);
  });

  it('leaves a batch an input answered out of its position until the union hands it out, so a checkpoint between reads it again', async () => {
    const slow = manual();
    const union = new UnionSource([slow, fromArray(['b1', 'b2'], { batchSize: 1 })]);
    await union.open(ctx());
    expect(union.poll()).toMatchObject({ kind: 'batch', batch: { values: ['b1'] } });
    // The slow input answers while the union is between polls: its own position now covers a1.
    slow.answer({ kind: 'batch', batch: batchOf(['a1'], 3) });
    await Promise.resolve();
    expect(slow.position()).toBe(1);
    expect(union.position()).toEqual({ union: [0, 1], next: 0 });
    expect(union.poll()).toMatchObject({ kind: 'batch', batch: { values: ['a1'] } });
    expect(union.position()).toEqual({ union: [1, 1], next: 1 });
  });

  it('refuses a position that is not a union’s, or one of another number of inputs', async () => {
    const union = () => new UnionSource([fromArray([1]), fromArray([2])]);
    await expect(union().open(ctx(5))).rejects.toThrow(StateError);
    await expect(union().open(ctx({ union: [1, 2, 3], next: 0 }))).rejects.toThrow(/positions of 3 sources, this union reads 2/);
  });

  it('throws an input’s failed poll at the next poll of the union', async () => {
    const slow = manual();
    const union = new UnionSource([slow, fromArray([])]);
    await union.open(ctx());
    const pending = union.poll();
    slow.fail(new Error('broker gone'));
    await expect(pending).rejects.toThrow('broker gone');
  });
});
