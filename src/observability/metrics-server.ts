import { describeError } from '../core/errors.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../core/metrics.js';
import type { StateQuery } from '../core/state-query.js';
import { prometheusText } from './prometheus.js';
import { serveState, statePath } from './state-routes.js';

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The host it listens on. */
  readonly host: string;
  /** The port it listens on (the one the system chose with `port: 0`). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` in the Prometheus text format on 127.0.0.1 (or `host`), and with `state`
 * the job's queryable state as JSON: `GET /state/<uid>/<key>` and `GET /state/<uid>?limit=N` (see
 * `serveState`). `run({ metrics: { port } })` starts one for the job, with its state, and reports
 * its port with a `metrics.server.listening` event.
 * @param metrics the registry to expose, usually `job.metrics`.
 * @param options `port` (0 lets the system choose), `host` (default `'127.0.0.1'`), and `state`,
 *   the job's `query` (no `/state` routes without it).
 * @example
 * import { Metrics, serveMetrics } from 'streamkit';
 * const server = await serveMetrics(new Metrics(), { port: 0 });
 * console.log(`http://127.0.0.1:${server.port}/metrics`);
 * await server.close();
 */
export async function serveMetrics(
  metrics: Metrics,
  options: { port: number; host?: string; state?: (uid: string) => StateQuery },
): Promise<MetricsServer> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(`metrics.port must be an integer from 0 to 65535, got ${options.port}`);
  }
  const host = options.host ?? '127.0.0.1';
  const query = options.state;
  const server: Server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.writeHead(400).end('bad request\n');
      return;
    }
    const state = query ? statePath(req, url) : undefined;
    if (state !== undefined) {
      void serveState(state, url.searchParams, query!, res);
      return;
    }
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404).end('not found: try GET /metrics\n');
      return;
    }
    prometheusText(metrics).then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
      (error) => res.writeHead(500).end(describeError(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(`metrics.port ${options.port}: cannot listen on ${host} (${error.code ?? error.message}); choose a free port or 0`, {
          cause: error,
        }),
      ),
    );
    server.listen(options.port, host, resolve);
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        // Scrapers keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
