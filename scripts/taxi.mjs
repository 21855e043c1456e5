// `npm run taxi`: runs examples/taxi/cli.ts from a bundle rebuilt only when its sources changed,
// so a run does not spend its start compiling TypeScript. When the bundle cannot be built, the
// job still runs, compiled on the fly by tsx.
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBuild } from './lib/cached-build.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = 'examples/taxi/cli.ts';

let file;
try {
  ({ file } = await cachedBuild({ root, entry, cacheDir: join(root, 'node_modules', '.cache', 'streamkit-taxi') }));
} catch (error) {
  const why = String(error?.message ?? error).split('\n')[0];
  process.stderr.write(`npm run taxi: could not bundle ${entry} (${why}); running it through tsx\n`);
  const { register } = await import('tsx/esm/api');
  register();
  file = join(root, entry);
}
await import(pathToFileURL(file).href);
