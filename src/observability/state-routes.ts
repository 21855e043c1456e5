import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError, isStreamkitError } from '../core/errors.js';
import type { StateQuery } from '../core/state-query.js';

/** How many entries `GET /state/<uid>` lists without `?limit=`. */
export const DEFAULT_STATE_LIMIT = 100;

/**
 * Serves the queryable state of a job over HTTP, read-only:
 *
 * - `GET /state/<uid>/<key>`: `{ uid, key, value }`, or 404 with `{ error }` for an unknown uid or
 *   a key without state;
 * - `GET /state/<uid>?limit=N&from=K&to=K`: `{ uid, entries: [{ key, value }, …] }` in key order,
 *   at most `limit` (default {@link DEFAULT_STATE_LIMIT}) entries.
 *
 * `<uid>` is URL-encoded (`encodeURIComponent`: derived ids hold `#` and `/`). A key, and `from`
 * and `to`, are URL-decoded text read as JSON when it parses as JSON (`114` is the number 114,
 * `"114"` the string) and as that text otherwise (`abc` is the string `abc`).
 * @param path the request's path after `/state/`, still URL-encoded.
 * @param search the request's query parameters.
 * @param query `job.query`.
 * @param res where the JSON answer goes.
 * @example serveState('zone-counts/114', new URLSearchParams(), (uid) => job.query(uid), res)
 */
export async function serveState(
  path: string,
  search: URLSearchParams,
  query: (uid: string) => StateQuery,
  res: ServerResponse,
): Promise<void> {
  try {
    const slash = path.indexOf('/');
    const uid = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
    const keyPart = slash < 0 ? '' : path.slice(slash + 1);
    if (uid === '') return answer(res, 404, { error: 'no operator id: use GET /state/<uid> or GET /state/<uid>/<key>' });
    const view = query(uid);
    if (keyPart === '') {
      const { limit, from, to } = Object.fromEntries(search) as Partial<Record<string, string>>;
      const range = { limit: limit === undefined ? DEFAULT_STATE_LIMIT : Number(limit), from: optionalKey(from), to: optionalKey(to) };
      return answer(res, 200, { uid, entries: await view.entries(range) });
    }
    const key = keyOfText(decodeURIComponent(keyPart));
    const value = await view.get(key);
    if (value === undefined)
      return answer(res, 404, { error: `operator ${JSON.stringify(uid)} holds no state for key ${describeKey(key)}` });
    return answer(res, 200, { uid, key, value });
  } catch (error) {
    const status =
      isStreamkitError(error) && error.code === 'PIPELINE_INVALID'
        ? 404
        : error instanceof URIError || error instanceof TypeError || error instanceof RangeError
          ? 400
          : 500;
    answer(res, status, { error: describeError(error) });
  }
}

/**
 * The key a URL's text stands for: its JSON value when it parses as JSON, else the text itself.
 * @example keyOfText('114') // 114; keyOfText('"114"') // '114'; keyOfText('abc') // 'abc'
 */
export function keyOfText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function optionalKey(text: string | undefined): unknown {
  return text === undefined ? undefined : keyOfText(text);
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : String(JSON.stringify(key, bigintAsText));
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  let text: string;
  try {
    text = JSON.stringify(body, bigintAsText);
  } catch (error) {
    status = 500;
    text = JSON.stringify({ error: `the state cannot be written as JSON: ${describeError(error)}` });
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(`${text}\n`);
}

/** JSON has no bigints: they are written as their digits. */
function bigintAsText(_: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Whether a request is for the state routes; its path after `/state/` when it is. */
export function statePath(req: IncomingMessage, url: URL): string | undefined {
  if (req.method !== 'GET') return undefined;
  return url.pathname.startsWith('/state/') ? url.pathname.slice('/state/'.length) : url.pathname === '/state' ? '' : undefined;
}
