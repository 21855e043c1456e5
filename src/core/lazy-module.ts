import { createRequire } from 'node:module';
import { StreamkitError } from './errors.js';

const requireModule = createRequire(import.meta.url);

/**
 * A loader for an optional dependency (kafkajs, level, RxJS, avsc, prom-client, fast-check),
 * called where the dependency is first used instead of when `streamkit` is imported. They are
 * optional peer dependencies: a program that uses none of them neither installs them nor pays their
 * start-up (RxJS alone parses some 200 files). The first call loads the package with `require`, so
 * it stays synchronous and a factory such as `toObservable()` can return at once; the packages
 * resolve to their CommonJS builds under Node either way, so the instance is the one an `import`
 * of the package in the same program gets.
 *
 * When the package is not installed, the loader throws a `StreamkitError` with code
 * `DEPENDENCY_MISSING` that names the package, the feature that needs it and the command that
 * installs it. A package that is installed but fails to load (a missing native build, a broken
 * install) rethrows its own error.
 * @param id the package name.
 * @param feature what needs the package, as the user calls it (`'toObservable()'`).
 * @param install the command that installs it (default `npm install <id>`).
 * @example const rxjs = lazyModule<typeof import('rxjs')>('rxjs', 'toObservable()'); const subject = new (rxjs().Subject)();
 */
export function lazyModule<T>(id: string, feature: string, install = `npm install ${id}`): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load<T>(id, feature, install));
}

function load<T>(id: string, feature: string, install: string): T {
  try {
    requireModule.resolve(id);
  } catch (error) {
    throw new StreamkitError('DEPENDENCY_MISSING', `The optional package ${id} is not installed. It is needed for ${feature}: ${install}`, {
      cause: error,
    });
  }
  return requireModule(id) as T;
}
