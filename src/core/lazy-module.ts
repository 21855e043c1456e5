import { createRequire } from 'node:module';

const requireModule = createRequire(import.meta.url);

/**
 * A loader for an optional heavy dependency (RxJS, prom-client, avsc), called where the dependency
 * is first used instead of when `streamkit` is imported: a program that uses none of them no longer
 * pays their start-up (RxJS alone parses some 200 files). The first call loads the package with
 * `require`, so it stays synchronous and a factory such as `toObservable()` can return at once;
 * the packages resolve to their CommonJS builds under Node either way, so the instance is the one an
 * `import` of the package in the same program gets.
 * @param id the package name.
 * @example const rxjs = lazyModule<typeof import('rxjs')>('rxjs'); const subject = new (rxjs().Subject)();
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireModule(id) as T);
}
