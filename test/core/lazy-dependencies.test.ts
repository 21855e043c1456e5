import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Which optional heavy dependencies a fresh process has loaded after the given script.
function loadedAfter(script: string): Record<string, boolean> {
  const probe = `
    import { createRequire } from 'node:module';
    ${script}
    const cache = createRequire(import.meta.url).cache;
    const loaded = (id) => Object.keys(cache).some((path) => path.includes('/node_modules/' + id + '/'));
    console.log(JSON.stringify({ rxjs: loaded('rxjs'), 'prom-client': loaded('prom-client'), avsc: loaded('avsc') }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('optional dependencies', () => {
  it('are not loaded by importing streamkit', () => {
    expect(loadedAfter(`await import('./src/index.ts');`)).toEqual({ rxjs: false, 'prom-client': false, avsc: false });
  });

  it('are loaded by the first call that needs them', () => {
    const script = `
      const sk = await import('./src/index.ts');
      sk.toObservable();
      await sk.prometheusText(new sk.Metrics());
      sk.avroSerde({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'int' }] });
    `;
    expect(loadedAfter(script)).toEqual({ rxjs: true, 'prom-client': true, avsc: true });
  });
});
