/**
 * Rejects option names a factory does not know, so a typo such as `{ timezone }` or
 * `{ checkpointInterval }` fails at the call site instead of being silently ignored.
 * @param factory the factory's name, used in the message.
 * @param options the options object the caller passed (may be undefined).
 * @param known the option names the factory accepts.
 * @throws TypeError when `options` is not an object or names an unknown option.
 * @example checkOptions('tumbling', { offset: '1h' }, ['offset', 'timeZone'])
 */
export function checkOptions(factory: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${factory}: options must be an object, got ${JSON.stringify(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new TypeError(`${factory}: unknown option ${JSON.stringify(name)} (known: ${[...known].sort().join(', ')})`);
    }
  }
}
