import { describe, expect, it } from 'vitest';
import { memoryState } from '../../src/state/memory-state.js';
import { describeBackendConformance } from './backend-conformance.js';

describeBackendConformance('memoryState', async () => {
  const backend = memoryState();
  return { connect: () => backend, dispose: async () => undefined };
});

describe('memoryState', () => {
  it('keeps its checkpoint in the object, so a second runtime sharing it restores', async () => {
    const shared = memoryState();
    expect(shared.lastCheckpointId).toBeUndefined();
    await shared.open();
    await shared.write({
      id: 7,
      sourcePosition: 3,
      operators: new Map([['op', { puts: new Map([['k', 1]]), deletes: new Set<string>(), full: false }]]),
    });
    await shared.close();
    expect(shared.lastCheckpointId).toBe(7);
    expect(await memoryState().open()).toBeUndefined();
    const restored = await shared.open();
    expect([...restored!.operators.get('op')!]).toEqual([['k', 1]]);
  });
});
