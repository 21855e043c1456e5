/**
 * Checks an optional selector argument at the call site.
 * @param selector the caller's selector, or undefined for "the value itself".
 * @param factory the aggregator factory's name, for the message.
 * @throws TypeError when `selector` is given and is not a function.
 * @example checkSelector(t => t.fare, 'sum')
 */
export function checkSelector(selector: unknown, factory: string): void {
  if (selector !== undefined && typeof selector !== 'function') {
    throw new TypeError(`${factory}: selector must be a function (record => value), got ${typeof selector}`);
  }
}
