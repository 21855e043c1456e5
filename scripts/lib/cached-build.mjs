// A TypeScript entry bundled once to plain JavaScript and reused until one of its sources changes,
// so a command started often does not pay for compiling TypeScript at every start.
//
// Plain JavaScript on purpose: it runs before anything could compile TypeScript.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import process from 'node:process';

/** The file beside the bundle that lists every source it was built from, with size and modification time. */
const MANIFEST = 'sources.json';
/** Files that change a bundle without being one of its inputs. */
const CONFIG_FILES = ['package.json', 'tsconfig.json'];

/**
 * The bundle of `entry` in `cacheDir`, built now if it is missing or any of its sources changed.
 *
 * The staleness check stats the files the last build read (from esbuild's metafile), the package
 * manifest and tsconfig, and compares size and modification time: a source added later is reached
 * only through an import in a file that changed, so the list cannot miss it. Dependencies in
 * `node_modules` stay external and are resolved at run time, so they are not part of the check.
 *
 * @param options.root the project folder: sources and config files are relative to it
 * @param options.entry the TypeScript entry, relative to `root`
 * @param options.cacheDir where the bundle lives (created; replaced as a whole when rebuilt)
 * @returns the absolute path of the bundled entry and whether this call built it
 * @throws whatever the bundler throws when the sources do not build
 * @example
 * const { file } = await cachedBuild({ root, entry: 'examples/taxi/cli.ts', cacheDir: join(root, 'node_modules/.cache/taxi') });
 * await import(pathToFileURL(file).href);
 */
export async function cachedBuild({ root, entry, cacheDir }) {
  const file = join(cacheDir, `${basename(entry, extname(entry))}.mjs`);
  if (isFresh(root, cacheDir, file)) return { file, built: false };
  // Built beside the cache and renamed into place, so a run never sees half a bundle.
  const staging = `${cacheDir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await bundle(root, entry, staging);
    rmSync(cacheDir, { recursive: true, force: true });
    renameSync(staging, cacheDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another process may have put an equal bundle in place between our rm and rename.
    if (!isFresh(root, cacheDir, file)) throw error;
  }
  return { file, built: true };
}

/**
 * Whether the bundle in `cacheDir` was built from the sources as they are now.
 *
 * @param root the project folder
 * @param cacheDir the bundle's folder
 * @param file the bundled entry
 * @returns false when the bundle, its manifest or any source differs or is missing
 */
export function isFresh(root, cacheDir, file) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(cacheDir, MANIFEST), 'utf8'));
  } catch {
    return false;
  }
  if (manifest.node !== process.version || !existsSync(file)) return false;
  for (const [path, recorded] of Object.entries(manifest.sources)) {
    const now = signature(resolve(root, path));
    if (now === undefined || now[0] !== recorded[0] || now[1] !== recorded[1]) return false;
  }
  return true;
}

/** [size, mtimeMs] of a file, or undefined when it is gone. */
function signature(path) {
  try {
    const stat = statSync(path);
    return [stat.size, stat.mtimeMs];
  } catch {
    return undefined;
  }
}

async function bundle(root, entry, outDir) {
  // Loaded only to build: the bundler costs more to load than the check saves.
  const { build } = await import('tsup');
  const started = Date.now();
  await build({
    entry: [resolve(root, entry)],
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    // Chunks keep the entry's dynamic imports lazy: a dependency imported only by a module loaded
    // on demand (DuckDB for the batch check, kafkajs, the parquet reader) is not loaded at start.
    splitting: true,
    skipNodeModulesBundle: true,
    sourcemap: false,
    dts: false,
    clean: true,
    silent: true,
    config: false,
    metafile: true,
    outExtension: () => ({ js: '.mjs' }),
  });
  const meta = JSON.parse(readFileSync(join(outDir, 'metafile-esm.json'), 'utf8'));
  // esbuild names inputs relative to the working directory it ran in.
  const inputs = Object.keys(meta.inputs)
    .map((path) => resolve(process.cwd(), path))
    .filter((path) => !path.includes(`${sep}node_modules${sep}`));
  const sources = {};
  for (const path of [...inputs, ...CONFIG_FILES.map((name) => resolve(root, name))]) {
    const now = signature(path);
    if (now === undefined) continue;
    // A source saved while the build ran may not be in the bundle: recorded so the next run rebuilds.
    sources[path] = now[1] >= started ? [now[0], -1] : now;
  }
  writeFileSync(join(outDir, MANIFEST), JSON.stringify({ node: process.version, sources }) + '\n');
}
