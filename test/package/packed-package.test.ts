/**
 * The package as npm ships it: built into a temporary directory, packed with `npm pack`, unpacked
 * into an app whose node_modules holds streamkit and nothing else. Windows over arrays run from it
 * (ESM and CommonJS, typed under every module resolution), every optional integration names the
 * package it is missing, and streamkit/testing's oracle works without fast-check.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../docs/markdown-files.js';

const exec = promisify(execFile);
const BUILD_TIMEOUT = 600_000;

let work: string;
let app: string;
let packed: string[];
let manifest: {
  dependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

/** Runs a script in the app with the Node running the tests; its stdout, or the failure's stderr. */
async function runInApp(file: string, code: string): Promise<string> {
  writeFileSync(join(app, file), code);
  const { stdout } = await exec(process.execPath, [file], { cwd: app, timeout: 60_000 });
  return stdout.trim();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'streamkit-packed-'));
  const pkg = join(work, 'package');
  mkdirSync(pkg);
  for (const file of ['package.json', 'README.md', 'LICENSE']) cpSync(join(root, file), join(pkg, file));
  cpSync(join(root, 'docs'), join(pkg, 'docs'), { recursive: true, filter: (path) => !path.startsWith(join(root, 'docs', 'api')) });
  // Generated API pages, as `npm run docs` leaves them: the package must not ship them.
  mkdirSync(join(pkg, 'docs', 'api'), { recursive: true });
  writeFileSync(join(pkg, 'docs', 'api', 'index.html'), '<html></html>');
  await exec(join(root, 'node_modules/.bin/tsup'), ['--out-dir', join(pkg, 'dist'), '--silent'], { cwd: root, timeout: BUILD_TIMEOUT });
  const { stdout } = await exec('npm', ['pack', pkg, '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: work,
    timeout: 120_000,
  });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info.files.map((f) => f.path).sort();
  app = join(work, 'app');
  const installed = join(app, 'node_modules', 'streamkit');
  mkdirSync(installed, { recursive: true });
  await exec('tar', ['xzf', join(work, info.filename), '-C', installed, '--strip-components=1']);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'windows-app', private: true, type: 'module' }));
  manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
}, BUILD_TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the build, the docs, README and LICENSE, and nothing else', () => {
    expect(packed).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'docs/README.md', 'docs/concepts/windows.md']));
    for (const entry of ['index', 'testing/index']) {
      for (const ext of ['.js', '.cjs', '.d.ts', '.d.cts']) expect(packed).toContain(`dist/${entry}${ext}`);
    }
    expect(packed.filter((path) => !/^(dist|docs)\/|^(LICENSE|README\.md|package\.json)$/.test(path))).toEqual([]);
    expect(packed.filter((path) => path.startsWith('docs/api'))).toEqual([]);
    expect(readFileSync(join(app, 'node_modules/streamkit/LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  it('depends on nothing: every package dist/ loads is Node itself or an optional peer', () => {
    expect(manifest.dependencies ?? {}).toEqual({});
    const optional = Object.keys(manifest.peerDependencies).filter((name) => manifest.peerDependenciesMeta[name]?.optional === true);
    expect(optional.sort()).toEqual(Object.keys(manifest.peerDependencies).sort());
    const dist = join(app, 'node_modules/streamkit/dist');
    const loaded = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(c?js)$/.test(entry.name)) {
          for (const m of readFileSync(path, 'utf8').matchAll(/(?:from\s*|import\(\s*|require\(\s*)["']([^"'./][^"']*)["']/g))
            loaded.add(m[1]);
        }
      }
    };
    walk(dist);
    const node = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    expect([...loaded].filter((name) => !node.has(name) && !optional.includes(name))).toEqual([]);
    // The lazily loaded integrations go through one loader by name; each is an optional peer.
    expect(optional).toEqual(expect.arrayContaining(['avsc', 'fast-check', 'kafkajs', 'level', 'prom-client', 'rxjs']));
  });

  it('runs windows over arrays with nothing else installed, as ESM and as CommonJS', async () => {
    expect(readdirSync(join(app, 'node_modules'))).toEqual(['streamkit']);
    const esm = await runInApp(
      'readme.mjs',
      `import { boundedOutOfOrderness, count, from, fromArray, sum, tumbling } from 'streamkit';
       const trips = [
         { zone: 161, pickupAt: Date.UTC(2024, 0, 1, 0, 1), total: 22.7 },
         { zone: 161, pickupAt: Date.UTC(2024, 0, 1, 0, 3), total: 14.1 },
         { zone: 132, pickupAt: Date.UTC(2024, 0, 1, 0, 2), total: 80.9 },
       ];
       const { items } = await from(fromArray(trips))
         .withTimestamps((t) => t.pickupAt, boundedOutOfOrderness('30s'))
         .keyBy((t) => t.zone)
         .window(tumbling('5m'), { allowedLateness: '10m' })
         .aggregate({ trips: count(), revenue: sum((t) => t.total, { scale: 2 }) })
         .collect();
       console.log(JSON.stringify(items.map((r) => [r.key, r.value])));`,
    );
    expect(esm).toBe('[[161,{"trips":2,"revenue":36.8}],[132,{"trips":1,"revenue":80.9}]]');
    const cjs = await runInApp(
      'readme.cjs',
      `const { count, from, fromArray, tumbling } = require('streamkit');
       const { batchWindows } = require('streamkit/testing');
       from(fromArray([{ at: 1 }, { at: 2 }])).withTimestamps((e) => e.at).window(tumbling('1m')).aggregate(count()).collect()
         .then(({ items }) => console.log(items[0].value, typeof batchWindows));`,
    );
    expect(cjs).toBe('2 function');
  });

  it('names the missing package and the feature that needs it, for every optional integration', async () => {
    const out = await runInApp(
      'optional.mjs',
      `import * as sk from 'streamkit';
       import { mkdtempSync } from 'node:fs';
       import { tmpdir } from 'node:os';
       import { join } from 'node:path';
       const dir = mkdtempSync(join(tmpdir(), 'streamkit-missing-'));
       const attempts = {
         rxjs: () => sk.toObservable(),
         avsc: () => sk.avroSerde({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'int' }] }),
         'prom-client': () => sk.prometheusText(new sk.Metrics()),
         'level (state)': () => sk.from(sk.fromArray([1])).to(sk.toArray()).run({ state: sk.levelState(join(dir, 'state')) }),
         'level (table)': () => sk.from(sk.fromArray([{ id: 'a' }])).to(sk.toLevel(join(dir, 'table'))).run(),
         kafkajs: () => sk.from(sk.fromKafka({ brokers: ['127.0.0.1:1'], topic: 't', groupId: 'g' })).to(sk.toArray()).run(),
       };
       const report = {};
       for (const [name, attempt] of Object.entries(attempts)) {
         try { await attempt(); report[name] = 'no error'; } catch (error) {
           let e = error; while (e && e.code !== 'DEPENDENCY_MISSING' && e.cause) e = e.cause;
           report[name] = (e?.code ?? error.code) + ': ' + (e?.message ?? error.message);
         }
       }
       console.log(JSON.stringify(report));`,
    );
    const report = JSON.parse(out) as Record<string, string>;
    const missing = (id: string, feature: string) =>
      `DEPENDENCY_MISSING: The optional package ${id} is not installed. It is needed for ${feature}: npm install ${id}`;
    expect(report).toEqual({
      rxjs: missing('rxjs', 'toObservable()'),
      avsc: missing('avsc', 'avroSerde()'),
      'prom-client': missing('prom-client', 'Prometheus metrics (prometheusText, serveMetrics, run({ metrics }))'),
      'level (state)': missing('level', 'LevelDB state and tables (levelState, toLevel, openLevelTable, readLevelTable)'),
      'level (table)': missing('level', 'LevelDB state and tables (levelState, toLevel, openLevelTable, readLevelTable)'),
      kafkajs: missing('kafkajs', 'Kafka (fromKafka, toKafka, toKafkaDeadLetters, kafkaChangelog, repartition)'),
    });
  });

  it('loads streamkit/testing without fast-check: the oracle works, the arbitraries say what to install', async () => {
    const out = await runInApp(
      'testing.mjs',
      `import { count, tumbling } from 'streamkit';
       import { batchWindows, keyedEvents, splitBatches } from 'streamkit/testing';
       const expected = batchWindows([{ at: 1 }, { at: 2 }, { at: 61_000 }], { assigner: tumbling('1m'), aggregator: count(), keyOf: () => null, timeOf: (e) => e.at });
       console.log(JSON.stringify(expected.map((r) => r.value)), JSON.stringify(splitBatches([1, 2, 3], [2])));
       try { keyedEvents(); } catch (error) { console.log(error.code + ': ' + error.message); }`,
    );
    expect(out.split('\n')).toEqual([
      '[2,1] [[1,2],[3]]',
      'DEPENDENCY_MISSING: The optional package fast-check is not installed. It is needed for the arbitraries of streamkit/testing (keyedEvents, batchSizes): npm install --save-dev fast-check',
    ]);
  });

  it('types resolve under node10, node16 and bundler resolution, for streamkit and streamkit/testing', async () => {
    writeFileSync(
      join(app, 'typed.ts'),
      `import { count, from, fromArray, tumbling, type WindowResult } from 'streamkit';
       import { batchWindows, type KeyedEvent } from 'streamkit/testing';
       export async function check(events: KeyedEvent[]): Promise<number> {
         const { items } = await from(fromArray(events)).withTimestamps((e) => e.time).window(tumbling('1m')).aggregate({ n: count() }).collect();
         const first: WindowResult<null, { n: number }> = items[0];
         return first.value.n + batchWindows(events, { assigner: tumbling('1m'), aggregator: count(), keyOf: (e) => e.key, timeOf: (e) => e.time }).length;
       }`,
    );
    const problems: string[] = [];
    for (const [resolution, module] of [
      ['node10', 'commonjs'],
      ['node16', 'node16'],
      ['bundler', 'esnext'],
    ]) {
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module,
            moduleResolution: resolution,
            target: 'es2022',
            lib: ['es2023'],
            noEmit: true,
            // Node's own types from this repository; the optional packages' types are not installed.
            typeRoots: [join(root, 'node_modules/@types')],
            types: ['node'],
            skipLibCheck: true,
          },
          files: ['typed.ts'],
        }),
      );
      await exec(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, timeout: 120_000 }).catch(
        (error: { stdout?: string }) => problems.push(`${resolution}: ${error.stdout ?? String(error)}`),
      );
    }
    expect(problems).toEqual([]);
  });
});
