import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lazyModule } from '../../src/core/lazy-module.js';
import { StreamkitError } from '../../src/core/errors.js';

const OPTIONAL = ['rxjs', 'prom-client', 'avsc', 'kafkajs', 'level', 'fast-check'] as const;

// Which optional dependencies a fresh process has loaded after the given script.
function loadedAfter(script: string): Record<string, boolean> {
  const probe = `
    import { createRequire } from 'node:module';
    ${script}
    const cache = createRequire(import.meta.url).cache;
    const loaded = (id) => Object.keys(cache).some((path) => path.includes('/node_modules/' + id + '/'));
    console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(OPTIONAL)}.map((id) => [id, loaded(id)]))));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const none = Object.fromEntries(OPTIONAL.map((id) => [id, false]));

describe('optional dependencies', () => {
  it('are not loaded by importing streamkit or streamkit/testing', () => {
    expect(loadedAfter(`await import('./src/index.ts'); await import('./src/testing/index.ts');`)).toEqual(none);
  });

  it('are not loaded by the batch oracle and helpers of streamkit/testing', () => {
    const script = `
      const sk = await import('./src/index.ts');
      const t = await import('./src/testing/index.ts');
      t.batchWindows([{ at: 1 }], { assigner: sk.tumbling(10), aggregator: sk.count(), keyOf: () => null, timeOf: (e) => e.at });
      t.splitBatches([1, 2, 3], [2]);
      t.slidingWindowStarts([0, 5], 10);
    `;
    expect(loadedAfter(script)).toEqual(none);
  });

  it('are loaded by the first call that needs them', () => {
    const script = `
      const sk = await import('./src/index.ts');
      const t = await import('./src/testing/index.ts');
      sk.toObservable();
      await sk.prometheusText(new sk.Metrics());
      sk.avroSerde({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'int' }] });
      t.keyedEvents();
    `;
    expect(loadedAfter(script)).toEqual({ ...none, rxjs: true, 'prom-client': true, avsc: true, 'fast-check': true });
  });
});

describe('lazyModule', () => {
  it('names the missing package, the feature that needs it and the install command', () => {
    const load = lazyModule('streamkit-no-such-package', 'the frobnicator (frob())');
    let error: unknown;
    try {
      load();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamkitError);
    expect(error).toMatchObject({
      code: 'DEPENDENCY_MISSING',
      retriable: false,
      message:
        'The optional package streamkit-no-such-package is not installed. It is needed for the frobnicator (frob()): npm install streamkit-no-such-package',
    });
    expect((error as Error).cause).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    expect(() => lazyModule('streamkit-no-such-package', 'x', 'npm install --save-dev it')()).toThrow(/: npm install --save-dev it$/);
  });

  it('loads a package once and returns the same instance', () => {
    const load = lazyModule<typeof import('avsc')>('avsc', 'avroSerde()');
    expect(load()).toBe(load());
    expect(typeof load().Type.forSchema).toBe('function');
  });
});
